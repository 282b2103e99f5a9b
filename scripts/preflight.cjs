'use strict';
// Runs before `npm start`, `npm test`, `npm run dev` (and after `npm install`, whose engine-strict check in .npmrc
// stops an old Node first): Seams runs its TypeScript straight with Node's type stripping, which an older Node
// answers with ERR_UNKNOWN_FILE_EXTENSION and a stack trace. So this file is plain CommonJS with no syntax newer
// than ES5's, which any Node can parse, and it says in three lines what is wrong and the one command that fixes it.
// The version needed is package.json's engines.node (">=X.Y"), read here so that it is written down once.

var fs = require('fs');
var path = require('path');

/** [major, minor] from ">=22.18", "v20.20.2" or "24". */
function parseVersion(text) {
  var match = /(\d+)(?:\.(\d+))?/.exec(String(text));
  return match ? [Number(match[1]), Number(match[2] || 0)] : [0, 0];
}

function atLeast(found, needed) {
  return found[0] > needed[0] || (found[0] === needed[0] && found[1] >= needed[1]);
}

/** The one command that gets the right Node, for the version manager this shell uses, else the project's script. */
function fixCommand(env, platform) {
  if (env.VOLTA_HOME) return 'volta install node@24   (then run the command again)';
  if (env.FNM_DIR || env.FNM_MULTISHELL_PATH) return 'fnm use --install-if-missing   (reads .node-version)';
  if (env.NVM_DIR) return 'nvm install   (reads .nvmrc)';
  if (platform === 'win32') return 'install Node.js 24 from https://nodejs.org, then open a new terminal';
  return '. scripts/node24.sh   (puts Node 24 on the PATH of this shell; then run the command again)';
}

/** The three lines to print when `nodeVersion` is older than `range` needs, or undefined when it is new enough. */
function preflightMessage(nodeVersion, range, env, platform) {
  var needed = parseVersion(range);
  if (atLeast(parseVersion(nodeVersion), needed)) return undefined;
  return [
    'Seams: this is Node.js ' + String(nodeVersion).replace(/^v/, '') + ', which is too old.',
    'Seams needs Node.js ' + needed.join('.') + ' or newer (it is tested on 24).',
    'To fix it, run: ' + fixCommand(env, platform),
  ].join('\n');
}

function neededRange() {
  var manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  return manifest.engines.node;
}

var message = preflightMessage(process.version, neededRange(), process.env, process.platform);
if (message) {
  process.stderr.write(message + '\n');
  process.exit(69); // EX_UNAVAILABLE (sysexits.h): what Seams needs, a new enough Node, is not there
}
