import pg from 'pg';
import { STARTUP_CONNECT_TIMEOUT_MS } from './database-availability.ts';
import { ident } from './provision.ts';

/** What a module's role is meant to have in one database: its own schema, and read access to its producers' outboxes. */
export interface ModuleRoleExpectation {
  readonly module: string;
  readonly role: string;
  readonly schema: string;
  /** Schemas of the modules whose events it subscribes to: it may use each of them and read its `seams_outbox`. */
  readonly producerSchemas: readonly string[];
}

/** One thing a module's role holds, or lacks, that breaks the data boundary; `fix` is the SQL that removes it. */
export interface DataBoundaryViolation {
  readonly module: string;
  readonly role: string;
  readonly problem: string;
  readonly fix: string;
}

/**
 * The start-up check found a module role that can reach data it does not own. Every violation names the module, the
 * role, the object and the privilege, and gives the statement that removes it.
 */
export class DataBoundaryError extends Error {
  readonly violations: readonly DataBoundaryViolation[];

  constructor(violations: readonly DataBoundaryViolation[]) {
    super(
      [
        `Data boundary check failed: ${violations.length} problem(s) with module roles in this database.`,
        ...violations.map((v) => `- module "${v.module}" (role "${v.role}"): ${v.problem}\n  fix: ${v.fix}`),
        "A module's role must own its schema and everything in it, and hold nothing outside it except USAGE on the " +
          'schema and SELECT on seams_outbox of each module whose events it subscribes to (granted at start-up from ' +
          'the subscriptions in its manifest). Anything more lets one module read or change data it does not own, ' +
          'which the contract and the events are there to prevent. Run the fixes above as the database owner (or ' +
          'remove what granted them), then start again.',
      ].join('\n'),
    );
    this.name = 'DataBoundaryError';
    this.violations = violations;
  }
}

/** A row of the catalog query below: one finding, described by kind. */
interface Finding {
  module: string;
  role: string;
  kind: 'missing' | 'attribute' | 'member' | 'owns-outside' | 'privilege-outside' | 'foreign-owner' | 'public';
  /** pg_identify_object's type ('table', 'schema', 'table column', …), or the attribute / role name. */
  object_type: string | null;
  object_identity: string | null;
  /** For a column: its table's identity and its quoted name. */
  parent_identity: string | null;
  column_name: string | null;
  privilege: string | null;
  /** The object's actual owner (foreign-owner), or the owner of the schema it sits in (owns-outside). */
  other_role: string | null;
}

// Roles are server-wide, so pg_shdepend (which records, per database, every object a role owns or appears in the
// ACL of) sees everything the role holds in this database, whatever kind of object it is. aclexplode on that object's
// ACL then says which privileges. Objects of other databases are the check of whoever connects to them.
const FINDINGS_SQL = `
with m as (
  select x.module, x.role, x.schema, coalesce(x.producers, '{}') as producers, r.oid as role_oid, n.oid as schema_oid
  from jsonb_to_recordset($1::jsonb) as x(module text, role text, schema text, producers text[])
  left join pg_roles r on r.rolname = x.role
  left join pg_namespace n on n.nspname = x.schema
),
held as (
  select m.*, d.deptype, d.classid, d.objid, d.objsubid, o.type as object_type, o.schema as object_schema, o.name as object_name, o.identity
  from m
  join pg_shdepend d on d.refclassid = 'pg_authid'::regclass and d.refobjid = m.role_oid and d.deptype in ('o', 'a')
    and d.dbid in (0, (select oid from pg_database where datname = current_database()))
  cross join lateral pg_identify_object(d.classid, d.objid, d.objsubid) o
  where not (d.classid = 'pg_namespace'::regclass and d.objid = m.schema_oid)
    and o.schema is distinct from m.schema
    -- Temporary objects (any role may create them) and TOAST tables (they follow their table) live in system schemas.
    and coalesce(o.schema, '') !~ '^pg_(temp|toast)'
),
acl_of as (
  select h.*, case h.classid
      when 'pg_class'::regclass then case when h.objsubid = 0 then (select relacl from pg_class where oid = h.objid)
        else (select attacl from pg_attribute where attrelid = h.objid and attnum = h.objsubid) end
      when 'pg_namespace'::regclass then (select nspacl from pg_namespace where oid = h.objid)
      when 'pg_proc'::regclass then (select proacl from pg_proc where oid = h.objid)
      when 'pg_type'::regclass then (select typacl from pg_type where oid = h.objid)
      when 'pg_database'::regclass then (select datacl from pg_database where oid = h.objid)
      when 'pg_language'::regclass then (select lanacl from pg_language where oid = h.objid)
      when 'pg_largeobject_metadata'::regclass then (select lomacl from pg_largeobject_metadata where oid = h.objid)
      when 'pg_foreign_data_wrapper'::regclass then (select fdwacl from pg_foreign_data_wrapper where oid = h.objid)
      when 'pg_foreign_server'::regclass then (select srvacl from pg_foreign_server where oid = h.objid)
      when 'pg_tablespace'::regclass then (select spcacl from pg_tablespace where oid = h.objid)
    end as acl
  from held h where h.deptype = 'a'
)
select module, role, 'missing' as kind, case when role_oid is null then 'role' else 'schema' end as object_type,
  case when role_oid is null then role else schema end as object_identity,
  null as parent_identity, null as column_name, null as privilege, null as other_role
from m where role_oid is null or schema_oid is null
union all
select m.module, m.role, 'attribute', a.name, null, null, null, null, null
from m join pg_roles r on r.oid = m.role_oid
cross join lateral (values ('SUPERUSER', r.rolsuper), ('CREATEROLE', r.rolcreaterole), ('CREATEDB', r.rolcreatedb),
  ('REPLICATION', r.rolreplication), ('BYPASSRLS', r.rolbypassrls)) as a(name, held)
where a.held
union all
select m.module, m.role, 'member', null, null, null, null, null, g.rolname
from m join pg_auth_members am on am.member = m.role_oid join pg_roles g on g.oid = am.roleid
union all
select h.module, h.role, 'owns-outside', h.object_type, h.identity, null, null, null,
  -- The owner of the schema it sits in, or the database's owner for public (owned by the pseudo-role pg_database_owner).
  (select case when nspowner = 'pg_database_owner'::regrole then pg_get_userbyid(datdba) else pg_get_userbyid(nspowner) end
   from pg_namespace, pg_database where nspname = h.object_schema and datname = current_database())
from held h where h.deptype = 'o'
union all
select a.module, a.role, 'privilege-outside', a.object_type, a.identity,
  case when a.objsubid <> 0 then (pg_identify_object(a.classid, a.objid, 0)).identity end,
  case when a.objsubid <> 0 then (select quote_ident(attname) from pg_attribute where attrelid = a.objid and attnum = a.objsubid) end,
  e.privilege_type, null
from acl_of a
left join lateral aclexplode(a.acl) e on true
where (e.grantee = a.role_oid or a.acl is null)
  -- What the event bus grants: USAGE on each producer's schema and SELECT on its outbox.
  and not coalesce(a.object_type = 'schema' and a.object_name = any (a.producers) and e.privilege_type = 'USAGE', false)
  and not coalesce(a.object_type = 'table' and a.object_schema = any (a.producers) and a.object_name = 'seams_outbox' and e.privilege_type = 'SELECT', false)
union all
select m.module, m.role, 'foreign-owner', o.type, o.identity, null, null, null, pg_get_userbyid(x.owner)
from m
join (
  select oid, 'pg_namespace'::regclass as classid, oid as namespace, nspowner as owner from pg_namespace
  union all select oid, 'pg_class'::regclass, relnamespace, relowner from pg_class where relkind <> 'i' and relkind <> 'I'
  union all select oid, 'pg_proc'::regclass, pronamespace, proowner from pg_proc
  -- Row and array types follow their table or element type; only stand-alone types are checked on their own.
  union all select t.oid, 'pg_type'::regclass, typnamespace, typowner from pg_type t
    where typrelid = 0 and not exists (select 1 from pg_type e where e.typarray = t.oid)
) x on x.namespace = m.schema_oid and x.owner <> m.role_oid
cross join lateral pg_identify_object(x.classid, x.oid, 0) o
union all
select m.module, m.role, 'public', o.type, o.identity,
  case when p.subid <> 0 then (pg_identify_object('pg_class'::regclass, p.oid, 0)).identity end,
  case when p.subid <> 0 then (select quote_ident(attname) from pg_attribute where attrelid = p.oid and attnum = p.subid) end,
  e.privilege_type, null
from m
join (
  select oid, 'pg_namespace'::regclass as classid, 0 as subid, oid as namespace, nspacl as acl from pg_namespace
  union all select oid, 'pg_class'::regclass, 0, relnamespace, relacl from pg_class
  union all select c.oid, 'pg_class'::regclass, a.attnum, c.relnamespace, a.attacl from pg_attribute a join pg_class c on c.oid = a.attrelid
    where a.attacl is not null
  -- A SECURITY DEFINER function runs as the module's role: executable by everyone (the default), it leaks.
  union all select oid, 'pg_proc'::regclass, 0, pronamespace, coalesce(proacl, acldefault('f', proowner)) from pg_proc where prosecdef
) p on p.namespace = m.schema_oid
cross join lateral aclexplode(p.acl) e
cross join lateral pg_identify_object(p.classid, p.oid, p.subid) o
where e.grantee = 0
order by 1, 3, 5, 8`;

/**
 * Checks in the catalog of one database that every module's role owns its schema and everything in it, and holds no
 * privilege outside it beyond what the event bus needs (USAGE on each producer's schema and SELECT on its
 * `seams_outbox`); that it is no member of another role and has no superuser-like attribute; and that nothing in its
 * schema is open to PUBLIC. Throws a {@link DataBoundaryError} listing every violation with the SQL that removes it.
 *
 * Runs after provisioning and migrations, so that anything a migration or a person granted is seen before the app
 * serves a request. `adminUrl` is the connection that provisioned these modules; call once per database.
 */
export async function verifyDataBoundaries(adminUrl: string, expectations: readonly ModuleRoleExpectation[]): Promise<void> {
  if (expectations.length === 0) return;
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: STARTUP_CONNECT_TIMEOUT_MS });
  await client.connect();
  let findings: Finding[];
  try {
    const input = expectations.map(({ module, role, schema, producerSchemas }) => ({ module, role, schema, producers: producerSchemas }));
    findings = (await client.query<Finding>(FINDINGS_SQL, [JSON.stringify(input)])).rows;
  } finally {
    await client.end();
  }
  if (findings.length > 0) throw new DataBoundaryError(findings.map(describe));
}

function describe(finding: Finding): DataBoundaryViolation {
  const { module, role } = finding;
  const { problem, fix } = explain(finding, ident(role));
  return { module, role, problem, fix };
}

function explain(f: Finding, role: string): { problem: string; fix: string } {
  const object = `${f.object_type} ${f.object_identity}`;
  switch (f.kind) {
    case 'missing':
      return { problem: `its ${f.object_type} "${f.object_identity}" does not exist`, fix: 'start the app with a user that may create roles and schemas, so that provisioning creates it' };
    case 'attribute':
      return { problem: `has the attribute ${f.object_type}, which reaches past every schema`, fix: `ALTER ROLE ${role} NO${f.object_type};` };
    case 'member':
      return { problem: `is a member of role "${f.other_role}" and can take its privileges with SET ROLE`, fix: `REVOKE ${ident(f.other_role!)} FROM ${role};` };
    case 'owns-outside':
      return {
        problem: `owns ${object}, outside its schema`,
        fix:
          f.object_type === 'schema'
            ? `DROP SCHEMA ${f.object_identity} (if it holds nothing needed), or ALTER SCHEMA ${f.object_identity} OWNER TO <its rightful owner>;`
            : `ALTER ${alterTarget(f.object_type!)} ${f.object_identity} OWNER TO ${f.other_role ? ident(f.other_role) : '<its rightful owner>'}; (or drop it)`,
      };
    case 'privilege-outside':
      return {
        problem: `holds ${f.privilege ?? 'privileges'} on ${object}, outside its schema${staleEventBusGrant(f)}`,
        fix: f.privilege ? revoke(f, role) : `REVOKE ALL ON ${grantTarget(f.object_type!)} ${f.object_identity} FROM ${role};`,
      };
    case 'foreign-owner':
      return {
        problem: `does not own ${object} in its own schema: "${f.other_role}" does`,
        fix: `ALTER ${alterTarget(f.object_type!)} ${f.object_identity} OWNER TO ${role};`,
      };
    case 'public':
      return { problem: `${object} in its schema grants ${f.privilege} to PUBLIC, so every role may use it`, fix: revoke(f, 'PUBLIC') };
  }
}

/**
 * The event bus grants USAGE on a producer's schema and SELECT on its outbox to each subscriber. Such a grant that no
 * subscription calls for any more is most likely left over from one that was removed from the manifest.
 */
function staleEventBusGrant(f: Finding): string {
  const outbox = f.object_type === 'table' && f.object_identity?.endsWith('.seams_outbox') && f.privilege === 'SELECT';
  const schema = f.object_type === 'schema' && f.privilege === 'USAGE';
  if (!outbox && !schema) return '';
  return ' (the event bus grants this only to modules that subscribe to events of that schema\'s module, and this one does not: was a subscription removed from its manifest?)';
}

function revoke(f: Finding, grantee: string): string {
  if (f.object_type === 'table column') return `REVOKE ${f.privilege} (${f.column_name}) ON TABLE ${f.parent_identity} FROM ${grantee};`;
  return `REVOKE ${f.privilege} ON ${grantTarget(f.object_type!)} ${f.object_identity} FROM ${grantee};`;
}

/** The object kind as GRANT and REVOKE spell it, from pg_identify_object's type: every relation is a TABLE there. */
function grantTarget(type: string): string {
  return ['view', 'materialized view', 'foreign table', 'table column'].includes(type) ? 'TABLE' : alterTarget(type);
}

/** The object kind as ALTER … OWNER TO spells it, from pg_identify_object's type. */
function alterTarget(type: string): string {
  if (type === 'composite type') return 'TYPE';
  if (type === 'foreign-data wrapper') return 'FOREIGN DATA WRAPPER';
  return type.toUpperCase();
}
