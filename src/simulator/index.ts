/**
 * The provider simulator: a real HTTP server impersonating OpenAI, Anthropic and Gemini on their wire
 * formats, with deterministic answers and runtime-switchable faults. Keel's independent test oracle; it
 * imports nothing from the rest of Keel.
 */
export { startSimulator } from './simulator-server.js';
export { FaultSpecError, parseFaultSpec } from './faults.js';
export type {
  ErrorFault,
  ErrorKind,
  FaultScope,
  FaultSpec,
  FaultType,
  MixChoice,
  MixFault,
  SimModelSpec,
  SimRequestRecord,
  SimStats,
  Simulator,
  SimulatorOptions,
  SingleFaultSpec,
  WireFormat,
} from './types.js';
