/**
 * The slo box: SLOs for Keel's own routes (error budgets, multi-window burn-rate alerts, OpenSLO in and
 * out), provider SLAs as data with the monthly credit report, and postmortems drafted from incidents.
 */
export { BURN_RATE_RULES, defaultSlos, sloDefinitionSchema, SLO_WINDOW_DAYS, type AlertSeverity, type BurnRateRule, type SliSpec, type SloDefinition, type SloWindowDays } from './slo-definition.js';
export { atLeast, detectionTimeMs, errorBudget, evaluateRules, windowBurn, type ErrorBudget, type RuleEvaluation, type WindowBurn } from './burn-rate.js';
export { SliSeries, sliCounts, SLI_SERIES_DEFAULTS, type GoodTotal } from './sli-series.js';
export { SloMonitor, SLO_MONITOR_DEFAULTS, type AlertSink, type AlertStatus, type SloAlertEvent, type SloMonitorOptions, type SloSnapshot, type SloStatus } from './slo-monitor.js';
export { signPayload, verifySignature, WebhookSender, SIGNATURE_HEADER, WEBHOOK_DEFAULTS, type DeliveryResult, type FetchLike, type WebhookTarget } from './signed-webhook.js';
export { OpenSloError, parseOpenSlo, toOpenSlo } from './openslo.js';
export { loadSlaFile, parseSlaFile, slaFor, SlaFileError, SHIPPED_SLA_FILE, slaFileSchema, type SlaEntry, type SlaFile } from './sla-schema.js';
export { creditFor, KEEL_DEFAULT_METHOD, measureUptime, type Credit, type UptimeResult } from './sla-uptime.js';
export { buildSlaReport, type ProviderSla, type ReportDeployment, type SlaReport } from './sla-report.js';
export { formatSlaReport, SLA_FORMATS, type SlaFormat } from './sla-format.js';
export { parseMonth, monthOf, claimDeadline, type Month } from './month.js';
export { buildPostmortem, type Postmortem, type PostmortemInput } from './postmortem.js';
export { renderPostmortem } from './postmortem-markdown.js';
export { readReportConfig, type ReportConfig } from './report-config.js';
