// Approval requests and grants as the Rust side sends them, for the card and page tests.
import type { ApprovalGrant, ApprovalRequest } from '../src/lib/backend';

const SECOND = 1000;

export function request(over: Partial<ApprovalRequest> = {}, expiresIn = 120 * SECOND): ApprovalRequest {
  const now = Date.now();
  return {
    id: '3f9a1c07',
    assistant: { name: 'claude-code', executable: '/usr/local/bin/claude', team_id: 'Q6L2SF6YDW' },
    tool: 'jamf_plan_os_update',
    domain: 'jamf:acme.jamfcloud.com',
    targets: [
      { name: "Ada's MacBook Pro", id: '42' },
      { name: 'Build Mac mini', id: '77' },
    ],
    summary: 'schedule macOS 15.7.9 on 2 Macs with a deadline of 13 Dec 2026; fixes 3 actively exploited CVEs',
    details: { plans: [] },
    asked_at: new Date(now).toISOString(),
    expires_at: new Date(now + expiresIn).toISOString(),
    ...over,
  };
}

export function grant(over: Partial<ApprovalGrant> = {}, expiresIn = 15 * 60 * SECOND): ApprovalGrant {
  const now = Date.now();
  return {
    id: 'g-8c21d0aa',
    assistant: { name: 'claude-code', executable: '/usr/local/bin/claude', team_id: null },
    tool: 'jamf_plan_os_update',
    domain: 'jamf:acme.jamfcloud.com',
    targets: [{ name: "Ada's MacBook Pro", id: '42' }],
    summary: 'schedule macOS 15.7.9 on 1 Mac with a deadline of 13 Dec 2026',
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + expiresIn).toISOString(),
    ...over,
  };
}
