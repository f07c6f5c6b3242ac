import type { Channel } from './flow.types';
import { classifyStatus } from './step-status';

/**
 * Whether a reported status may replace the stored one. Reports race (a poll
 * answer can be older than a callback already applied), so a step's status
 * only moves forward: pending → later pending → final; among finals only the
 * refinements DELIVERED → SEEN (Viber) and Sent → Delivered/Undelivered/Failed
 * (SMS: Sent is the operator's acceptance, a delivery report may follow).
 */
export function isStatusProgress(channel: Channel, current: string, incoming: string): boolean {
  const from = current.trim().toLowerCase();
  const to = incoming.trim().toLowerCase();
  if (!to || from === to) return false;
  const fromOutcome = classifyStatus(channel, from);
  const toOutcome = classifyStatus(channel, to);
  if (fromOutcome === 'pending') return toOutcome !== 'pending' || pendingRank(to) > pendingRank(from);
  if (channel === 'viber') return from === 'delivered' && to === 'seen';
  return from === 'sent' && toOutcome !== 'pending';
}

/** a message's pending statuses in order (SMS, Viber), and a call's (Voice: https://docs.routee.net/docs/call-flow) */
const PENDING_RANK: Record<string, number> = { queued: 0, sent: 1, initiated: 1, enroute: 2, ringing: 2 };

function pendingRank(status: string): number {
  return PENDING_RANK[status] ?? 1; // an unknown pending status (e.g. "Unknown") counts as past queued
}
