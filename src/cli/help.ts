import { configVariables } from '#platform/config.ts';

/** `seams --help`: the commands, then the configuration table (the README's, from the config schema) as plain text. */
export function helpText(program: string, width = 100): string {
  const lines = [
    `Usage: ${program} [command]`,
    '',
    'Commands:',
    '  serve            start the app (the default)',
    "  migrate          apply the migrations of the modules this process runs (MODULES), then exit",
    '  health           exit 0 if the instance on PORT answers /health/ready, else 1 (for HEALTHCHECK)',
    '  --help, -h       this text',
    '  --version, -v    the version and the commit it was built from',
    '',
    'Configuration, by environment variables only:',
    '',
  ];
  for (const variable of configVariables()) {
    lines.push(`  ${variable.name}  (${variable.default === undefined ? 'unset' : `default ${variable.default}`}; ${variable.allowed})`);
    lines.push(...wrap(variable.description.replaceAll('`', ''), width - 6).map((line) => `      ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
