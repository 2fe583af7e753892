/**
 * Import boundaries (see README "Architecture"): imports point inward and never form cycles.
 * engine/ is pure TypeScript: it imports nothing from app/, db/, inngest/, next, react or drizzle-orm.
 * Run by `npm run lint`, which the test command runs.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to reason about and to initialise.',
      from: { pathNot: '^node_modules' },
      to: { circular: true },
    },
    {
      name: 'engine-stays-pure',
      severity: 'error',
      comment: 'engine/ is the product core: no frameworks, no database drivers, no outer rooms.',
      from: { path: '^engine/' },
      to: {
        path: [
          '^app/',
          '^db/',
          '^inngest/',
          '(^|/)node_modules/(next|react|react-dom|drizzle-orm|postgres|@electric-sql/pglite|inngest|@inngest)/',
        ],
      },
    },
    {
      name: 'engine-no-framework-modules',
      severity: 'error',
      comment: 'engine/ may not import framework packages, even unresolved ones.',
      from: { path: '^engine/' },
      to: { couldNotResolve: false, dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: '^(next|react|react-dom|drizzle-orm|postgres|@electric-sql/pglite|inngest|@inngest)($|/)' },
    },
    {
      name: 'engine-core-is-the-floor',
      severity: 'error',
      comment: 'engine/core (types, errors, clock, logger) is the bottom floor: it imports no other engine folder (its tests may).',
      from: { path: '^engine/core/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^engine/', pathNot: '^engine/core/' },
    },
    {
      name: 'engine-ports-only-core',
      severity: 'error',
      comment: 'engine/ports holds the interfaces the engine needs from outside; they build on engine/core only, so every engine folder can use them without importing upward.',
      from: { path: '^engine/ports/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^engine/', pathNot: '^engine/(core|ports)/' },
    },
    {
      name: 'engine-insight-stays-low',
      severity: 'error',
      comment: 'engine/insight (metrics, drift comparison) is used by backtests and sessions; it never imports them, the run spec, accounts, the desk or the job machinery (its tests may).',
      from: { path: '^engine/insight/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^engine/(live|backtest|trading|account|desk|orchestrator|jobs)/' },
    },
    {
      name: 'engine-trading-below-accounts',
      severity: 'error',
      comment: 'engine/trading (the run spec) is what accounts, sessions and backtests resolve with; it never imports them (its tests may).',
      from: { path: '^engine/trading/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^engine/(account|live|backtest|desk|orchestrator|jobs)/' },
    },
    {
      name: 'engine-settings-below-trading',
      severity: 'error',
      comment: 'engine/settings (stored trading settings and the installation defaults) is the run spec\'s input; it never imports the run spec or anything above it (its tests may).',
      from: { path: '^engine/settings/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^engine/(trading|account|live|backtest|desk|orchestrator|jobs)/' },
    },
    {
      name: 'db-only-engine-types',
      severity: 'error',
      comment: 'db/ implements engine ports; it never reaches into app/ or inngest/.',
      from: { path: '^db/' },
      to: { path: ['^app/', '^inngest/'] },
    },
    {
      name: 'inngest-no-app-or-db',
      severity: 'error',
      comment: 'inngest/ functions receive the engine from their factories; they never build it.',
      from: { path: '^inngest/' },
      to: { path: ['^app/', '^db/'] },
    },
    {
      name: 'strategy-files-use-the-strategy-api',
      severity: 'error',
      comment: 'A strategy file (strategies/) is written against the strategy API (`aethelred/strategy`): it never reaches into the engine\'s internals or the outer rooms (its tests may use the engine to build frames).',
      from: { path: '^strategies/', pathNot: '\\.test\\.tsx?$' },
      to: { path: ['^app/', '^db/', '^inngest/', '^scripts/', '^engine/'], pathNot: '^engine/strategies/strategy-api\\.ts$' },
    },
    {
      name: 'engine-room-not-from-tests',
      severity: 'error',
      comment: 'Production rooms never import test code.',
      from: { path: '^(engine|db|inngest|app)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^tests/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(\\.next|\\.data|tests/fixtures)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
