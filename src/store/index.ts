/**
 * The store box: the `Store` interface and its records, the embedded SQLite implementation, the recorder
 * that turns router events into rollups, and retention. Other modules reach the store only through here.
 */
export {
  LATENCY_BUCKETS_MS,
  type AttemptSample,
  type AuditEntry,
  type ComponentStatus,
  type Incident,
  type IncidentStatus,
  type IncidentUpdate,
  type MaintenanceWindow,
  type RollupQuery,
  type RollupRow,
  type RollupScope,
  type RollupSource,
  type PruneCutoffs,
  type Store,
  type StoredResponse,
  type VendorImpact,
  type VendorIncident,
  type VendorIncidentQuery,
  type VendorIncidentUpdate,
  type VirtualKeyRecord,
} from './store.js';
export { MemoryVendorIncidents } from './memory-vendor-incidents.js';
export { SqliteStore, SQLITE_DEFAULTS, type SqliteStoreOptions } from './sqlite-store.js';
export { SQLITE_MIGRATIONS, applyMigrations, type Migration } from './sqlite-migrations.js';
export { RollupRecorder, RECORDER_DEFAULTS, type RecorderStats, type RollupRecorderOptions } from './rollup-recorder.js';
export {
  costOf,
  type RecordedAttempt,
  type RecordedRequest,
  type RecordedUsage,
  type RecorderEventSource,
  type RecorderEvents,
  type RecorderPrice,
} from './recorded-events.js';
export { RETENTION_DEFAULTS, retentionCutoffs, scheduleRetention, type RetentionOptions } from './retention.js';
export { realIntervalTimer, ManualIntervalTimer, type IntervalTimer } from './interval-timer.js';
export { addRollup, bucketIndex, emptyRollup, floorMinute } from './rollup-math.js';
