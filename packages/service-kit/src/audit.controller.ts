import { Controller, Inject, type Type } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { AuditLog, toAuditRow } from '@citadel/audit';
import { AllowServiceCaller, RequirePermission } from '@citadel/auth';
import type {
  AuditHashes,
  AuditRecord,
  AuditVerification,
  ListAuditHashesRequest,
  ListAuditRequest,
  ListAuditResponse,
} from '@citadel/contracts';

/**
 * The audit methods every Citadel service serves on its own gRPC service (`grpcService`,
 * e.g. `OrderService`): the operators' `auditor` identity or an admin may verify the
 * chain and page its hashes (to compare with the monitor's copy); admins may read
 * records. Registered by {@link runGrpcService}.
 */
export function auditControllerFor(grpcService: string): Type<unknown> {
  @Controller()
  class AuditController {
    constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

    @GrpcMethod(grpcService, 'VerifyAudit')
    @AllowServiceCaller('auditor')
    @RequirePermission('audit:read')
    async verify(): Promise<AuditVerification> {
      const result = await this.audit.verify();
      return {
        service: result.service,
        ok: result.ok,
        records: result.records,
        first_broken_seq: result.firstBroken?.seq ?? 0,
        reason: result.firstBroken?.reason ?? '',
      };
    }

    @GrpcMethod(grpcService, 'ListAudit')
    @RequirePermission('audit:read')
    async list(request: ListAuditRequest): Promise<ListAuditResponse> {
      const records = await this.audit.find({
        traceId: request.trace_id || undefined,
        actor: request.actor || undefined,
        action: request.action || undefined,
        limit: request.limit || undefined,
      });
      // The stored row is already the message's shape (snake_case, int64 seq as number).
      return {
        records: records.map((record): AuditRecord => ({ ...toAuditRow(record), seq: record.seq })),
      };
    }

    /**
     * The chain's `(seq, hash)` pairs after `after_seq`, oldest first: `npm run
     * audit:verify` pages these against the monitor's ListChainHashes to name the first
     * record that differs. `service` names a chain only at the monitor; here it is this one.
     */
    @GrpcMethod(grpcService, 'ListAuditHashes')
    @AllowServiceCaller('auditor')
    @RequirePermission('audit:read')
    async hashes(request: ListAuditHashesRequest): Promise<AuditHashes> {
      return { hashes: await this.audit.hashes(request.after_seq || 0, request.limit || 0) };
    }
  }
  return AuditController;
}
