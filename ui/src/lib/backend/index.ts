// The only module that talks to the Rust side. Components get data through `backend`,
// so tests can drive them with Tauri's mockIPC (or any object with the same shape).
import { invoke } from '@tauri-apps/api/core';

export type BrokerStatus =
  | { state: 'running'; socket: string }
  | { state: 'stopped'; reason: string };

export interface AppStatus {
  /** The Rust side's version, as `latchkey --version` prints it. */
  version: string;
  /** `macos` or `linux`. */
  platform: string;
  broker: BrokerStatus;
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
}

export const backend: Backend = {
  appStatus: () => invoke<AppStatus>('app_status'),
};
