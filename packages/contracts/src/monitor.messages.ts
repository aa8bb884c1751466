// citadel.monitor.v1: the messages of monitor.proto.
import type { AuditRecord } from './messages.js';

export interface DeliverRequest {
  records: AuditRecord[];
  source_head_seq: number;
  source_head_hash: string;
}
export type GetHeadRequest = Record<string, never>;
export interface ChainHead {
  service: string;
  seq: number;
  hash: string;
  received_at: string;
  broken: boolean;
}
export type ListChainHeadsRequest = Record<string, never>;
export interface ListChainHeadsResponse {
  heads: ChainHead[];
}
export interface ListAlertsRequest {
  limit?: number;
}
export interface Alert {
  id: string;
  rule: string;
  service: string;
  actor: string;
  raised_at: string;
  detail: string;
  severity: 'warning' | 'critical';
  trace_id: string;
}
export interface ListAlertsResponse {
  alerts: Alert[];
}
