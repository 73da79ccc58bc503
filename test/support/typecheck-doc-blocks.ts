/**
 * Type-checks TypeScript examples from the docs with the project's tsconfig: each block becomes a
 * module under .tmp/ (its `./core/…` imports pointed back at the repository), and only its own
 * diagnostics count. A fragment names the values it takes as given in its marker
 * (`<!-- example: typecheck; given db, tenantId -->`); "cannot find name" for those is not an error,
 * everything else (imports, exported names, argument and property types) is checked.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface TsExample {
  readonly where: string;
  readonly code: string;
  readonly given: readonly string[];
}

export function typeCheckExamples(repoRoot: string, examples: readonly TsExample[]): string[] {
  const dir = join(repoRoot, '.tmp', `doc-examples-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = examples.map((example, i) => {
      const path = join(dir, `example-${i}.ts`);
      // The given names on the first line, so the block's own lines keep their numbers (+1).
      const given = example.given.map((name) => `declare const ${name}: any;`).join(' ');
      writeFileSync(path, `${given}\n${example.code.replace(/from '\.\//g, "from '../../")}\nexport {};\n`);
      return path;
    });
    const config = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
    const program = ts.createProgram(files, { ...options, noEmit: true });
    return files.flatMap((path, i) => {
      const example = examples[i]!;
      return ts
        .getPreEmitDiagnostics(program, program.getSourceFile(path))
        .map((d) => {
          const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
          return `${example.where} (line ${line} of the block): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
        });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
