// The only module that talks to the Rust side. Components get data through `backend`,
// so tests can drive them with Tauri's mockIPC (or any object with the same shape).
import { invoke } from '@tauri-apps/api/core';
import { openUrl } from '@tauri-apps/plugin-opener';

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

// ---- SOFA (macadmins Simple Organized Feed for Apple software updates) ----

/** Where the feed in use came from and when. */
export interface FeedOrigin {
  /** URL or file path the feed was read from. */
  source: string;
  /** ISO 8601 UTC. */
  fetched_at: string;
  /** Set when this is a cached or otherwise out-of-date copy: why a fresh one could not be had. */
  stale_reason: string | null;
}

export interface FeedSummary {
  /** 'v1' | 'v2' | 'v2_schema' today; kept open for newer layouts. */
  layout: string;
  schema_version: string | null;
  product: string | null;
  /** The feed's own LastCheck, as published. */
  last_check: string | null;
  update_hash: string | null;
  /** Newest first. */
  majors: number[];
  security_releases: number;
  distinct_cves: number;
  distinct_actively_exploited_cves: number;
  models: number;
  warnings: string[];
}

/** The newest release of one macOS major. */
export interface LatestRelease {
  major: number;
  /** e.g. "Tahoe 26". */
  label: string;
  version: string;
  product_version: string;
  build: string | null;
  /** ISO 8601. */
  release_date: string | null;
  security_info_url: string | null;
}

export interface SofaOverview {
  feed: FeedOrigin;
  summary: FeedSummary;
  /** One per major, newest first. */
  latest: LatestRelease[];
  /** This Mac's macOS version on macOS, null elsewhere. */
  this_mac: string | null;
}

export interface ReleaseSummary {
  version: string;
  product_version: string;
  build: string | null;
  release_date: string | null;
  security_info_url: string | null;
  cve_count: number;
  actively_exploited_count: number;
  security_notes_pending: boolean;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  other: number;
}

export interface StatusCounts {
  major: number;
  state: 'current' | 'behind';
  releases_behind: number;
  cves_fixed_later: number;
  actively_exploited_fixed_later: number;
  kev_fixed_later: number | null;
  severity_fixed_later: SeverityCounts | null;
}

export interface HardwareSupport {
  model: string;
  known_model: boolean;
  marketing_name: string | null;
  supported_majors: number[];
  hardware_max_major: number | null;
  newest_feed_major: number | null;
  upgrade_available_by_hardware: boolean | null;
  limited_by_hardware: boolean | null;
}

export interface InFeedStatus {
  result: 'in_feed';
  version: string;
  os_label: string;
  known_release: boolean;
  newer_than_feed: boolean;
  latest: ReleaseSummary;
  counts: StatusCounts;
  /** Oldest first. */
  missed: ReleaseSummary[];
  days_since_first_missed: number | null;
  actively_exploited_cve_ids: string[];
  hardware: HardwareSupport | null;
}

export interface NotInFeedStatus {
  result: 'not_in_feed';
  version: string;
  major: number;
  feed_majors: number[];
  message: string;
  hardware: HardwareSupport | null;
}

export type VersionStatus = InFeedStatus | NotInFeedStatus;

export interface FixedCve {
  id: string;
  fixed_in: string;
  actively_exploited: boolean;
  in_kev: boolean | null;
  severity: string | null;
  nist_url: string;
  apple_notes_url: string | null;
}

export interface SofaVersionReport {
  status: VersionStatus;
  /** Every CVE fixed after the version, sorted by id; empty for not_in_feed. */
  cves: FixedCve[];
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
  /** The feed as currently held (fetched or cached), summarised. */
  sofaOverview(): Promise<SofaOverview>;
  /** How a macOS version stands against the feed. Rejects with a message for a malformed version. */
  sofaStatus(version: string): Promise<SofaVersionReport>;
  /** Fetches the feed now. Rejects with a message if no feed can be had at all. */
  sofaRefresh(): Promise<SofaOverview>;
  /** Opens an https link in the default browser (only hosts the app's capabilities allow). */
  openExternal(url: string): Promise<void>;
}

export const backend: Backend = {
  appStatus: () => invoke<AppStatus>('app_status'),
  sofaOverview: () => invoke<SofaOverview>('sofa_overview'),
  sofaStatus: (version) => invoke<SofaVersionReport>('sofa_status', { version }),
  sofaRefresh: () => invoke<SofaOverview>('sofa_refresh'),
  openExternal: (url) => openUrl(url),
};
