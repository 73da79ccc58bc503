/**
 * Import directions from ARCHITECTURE.md section 3: crypto is a leaf; consent sees only crypto;
 * core sees crypto and consent; connectors implement core's ports; nothing imports api, cli or bench.
 */
const area = (name) => `^${name}/`;
const forbid = (name, from, to, comment) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Cycles make layers meaningless.', from: {}, to: { circular: true } },
    forbid('crypto-is-a-leaf', area('crypto'), '^(api|bench|cli|connectors|consent|core|test)/', 'crypto/ imports nothing of ours.'),
    forbid('consent-sees-only-crypto', area('consent'), '^(api|bench|cli|connectors|core|test)/', 'consent/ imports crypto/ only.'),
    forbid('core-does-not-see-edges', area('core'), '^(api|bench|cli|connectors|test)/', 'core/ defines ports; adapters and roots import core, not the reverse.'),
    forbid('connectors-stay-at-the-edge', area('connectors'), '^(api|bench|cli|test)/', 'connectors/ implement core ports.'),
    forbid('api-is-a-root', '^(core|consent|crypto|connectors)/', area('api'), 'Nothing below the composition roots imports api/.'),
    forbid('roots-are-not-imported', '^(api|core|consent|crypto|connectors)/', '^(cli|bench)/', 'cli/ and bench/ are composition roots.'),
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
      from: { path: '^(api|cli|connectors|consent|core|crypto)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
