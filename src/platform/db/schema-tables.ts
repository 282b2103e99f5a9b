import { sql, type Kysely } from 'kysely';

export interface TableView {
  readonly name: string;
  /** The event bus's and the migrator's own tables, which every module's schema has. */
  readonly platform: boolean;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string; readonly nullable: boolean; readonly default: string | null }>;
}

/** The tables and columns in a module's schema, as the database has them now (not as the source says they should be). */
export async function moduleTables(db: Kysely<unknown>, schema: string): Promise<TableView[]> {
  const rows = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>`
    select c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = ${schema}
    order by c.table_name, c.ordinal_position`.execute(db);
  const tables = new Map<string, TableView['columns'][number][]>();
  for (const row of rows.rows) {
    const columns = tables.get(row.table_name) ?? tables.set(row.table_name, []).get(row.table_name)!;
    columns.push({ name: row.column_name, type: row.data_type, nullable: row.is_nullable === 'YES', default: row.column_default });
  }
  return [...tables].map(([name, columns]) => ({ name, platform: name.startsWith('seams_') || name.startsWith('kysely_'), columns }));
}
