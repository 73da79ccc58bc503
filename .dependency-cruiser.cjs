/**
 * Import directions from ARCHITECTURE.md section 3, written as allow-lists: a dependency between our
 * own files passes only if a rule below allows it, so a new folder cannot open a path around the
 * layers (consent → shared/ → api/ passed when the rules only forbade known folders). crypto is a
 * leaf; consent sees only crypto; core sees crypto and consent; connectors implement core's ports;
 * api, cli, bin, bench and test are roots, and nothing below them imports them. The web console
 * (console/) runs in a browser and reaches the node only through its HTTP API: it imports packages
 * and itself, nothing of the node's code. A top-level folder
 * not named here may import packages but nothing of ours, and nothing of ours may import it.
 */
const within = (area, ...below) => ({ from: { path: `^${area}/` }, to: { path: `^(${[area, ...below].join('|')})/` } });

module.exports = {
  allowed: [
    { comment: 'Packages and Node built-ins, checked against package.json by the rules below.', from: {}, to: { dependencyTypesNot: ['local'] } },
    within('crypto'),
    within('consent', 'crypto'),
    within('core', 'consent', 'crypto'),
    within('connectors', 'core', 'crypto'),
    within('api', 'connectors', 'core', 'consent', 'crypto'),
    within('cli', 'api', 'connectors', 'core', 'consent', 'crypto'),
    within('bin', 'cli'),
    within('console'),
    { comment: 'Benchmarks and tests may import anything of ours.', from: { path: '^(bench|test)/' }, to: {} },
  ],
  allowedSeverity: 'error',
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Cycles make layers meaningless.', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', comment: 'An import that does not resolve cannot be checked against the layers.', from: {}, to: { couldNotResolve: true } },
    {
      name: 'no-unlisted-packages',
      severity: 'error',
      comment: 'Every package imported must be in package.json.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'runtime-code-uses-runtime-packages',
      severity: 'error',
      comment: 'Code that ships may not import devDependencies.',
      from: { path: '^(api|bin|cli|connectors|consent|core|crypto)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    exclude: { path: '^(node_modules|data|coverage|console/dist)/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
