/**
 * Outage drills: scripted scenarios played against a real Keel and the simulator under load, reported
 * from what the clients saw and cross-checked against Keel's events and the simulator's stats.
 */
export { drillCliCommand } from './drill-cli.js';
export { drillCommand, writeReports, type DrillCommandOptions } from './drill-command.js';
export { buildReport } from './drill-report.js';
export { builtInScenarioNames } from './built-in-scenarios.js';
export { loadScenario, parseScenario, ScenarioError, type LoadedScenario } from './load-scenario.js';
export { renderReportHtml } from './report-html.js';
export { renderReportTable } from './report-table.js';
export type { DrillReport } from './report-types.js';
export { runDrill, type DrillOptions, type DrillRun } from './run-drill.js';
export type { Scenario } from './scenario-schema.js';
