import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { PERMISSIONS } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { DISCREPANCY_STATUSES, type DiscrepancyStatus } from '../domain/enums';
import { SETTLEMENT_FORMATS, type SettlementFormat } from '../domain/settlement/types';
import { badInput, forbidden, unauthenticated } from '../errors/app-error';
import { toAppError } from '../errors/graphql';
import type { Logger } from '../logger';
import { toSettlementImportType } from '../resolvers/reconciliation.resolver';
import type { Services } from '../services/container';
import { scopedFork, type Scope } from '../services/scope';

const one = (v: unknown): string | null => (typeof v === 'string' && v.length <= 200 ? v : null);

/**
 * Finance's file endpoints, authenticated like GraphQL (`Authorization: Bearer lipa_...`, FINANCE or ADMIN):
 *
 * - `POST /v1/settlement-imports?sourceId=&format=[&currency=][&payoutReference=]` streams a statement of any size
 *   (up to LIPA_SETTLEMENT_MAX_MB) straight into COPY; answers 201 with the import (for a repeat of a file already
 *   imported, the first import).
 * - `GET /v1/reconciliation-runs/:id/exceptions.csv[?status=OPEN,IN_REVIEW]` streams a run's discrepancies as CSV.
 */
export function reconciliationRouter(services: Services): Router {
  const router = express.Router();

  const authorise = async (req: Request, res: Response): Promise<Scope> => {
    let principal: Principal | null;
    try {
      principal = await services.authenticator.authenticate(req.header('authorization'));
    } catch {
      throw unauthenticated('Invalid credentials');
    }
    if (!principal) throw unauthenticated();
    if (!(PERMISSIONS.reconcile as readonly string[]).includes(principal.role)) throw forbidden();
    const logger = (res.locals.logger as Logger).child({
      org: principal.organizationId,
      role: principal.role,
    });
    return { em: scopedFork(services.orm.em, principal.organizationId), principal, logger };
  };

  const fail = (err: unknown, next: NextFunction) => {
    const app = toAppError(err);
    next(app ? { appError: app } : err);
  };

  router.post('/settlement-imports', async (req, res, next) => {
    try {
      const scope = await authorise(req, res);
      const sourceId = one(req.query.sourceId);
      const format = one(req.query.format);
      if (!sourceId) throw badInput('sourceId is required (query parameter)');
      if (!format || !(SETTLEMENT_FORMATS as readonly string[]).includes(format))
        throw badInput(`format must be one of ${SETTLEMENT_FORMATS.join(', ')}`);
      const declared = Number(req.header('content-length') ?? '0');
      if (declared > services.config.settlementMaxBytes)
        throw badInput(
          `The file is larger than LIPA_SETTLEMENT_MAX_MB (${services.config.settlementMaxBytes} bytes)`,
        );
      const result = await services.settlements.importSettlement(scope, {
        sourceId,
        format: format as SettlementFormat,
        chunks: req,
        currency: one(req.query.currency),
        payoutReference: one(req.query.payoutReference),
      });
      res.status(201);
      res.json(toSettlementImportType(result));
    } catch (err) {
      // Drain what the client is still sending so it sees the answer instead of a reset connection.
      req.resume();
      fail(err, next);
    }
  });

  router.get('/reconciliation-runs/:id/exceptions.csv', async (req, res, next) => {
    try {
      const scope = await authorise(req, res);
      const statusParam = one(req.query.status);
      let status: DiscrepancyStatus[] | null = null;
      if (statusParam) {
        status = statusParam.split(',').map((s) => s.trim().toUpperCase()) as DiscrepancyStatus[];
        const bad = status.filter((s) => !DISCREPANCY_STATUSES.includes(s));
        if (bad.length) throw badInput(`Unknown status ${bad.join(', ')}`);
      }
      const rows = services.discrepancies.exportCsv(scope, {
        reconciliationRunId: String(req.params.id),
        status,
      });
      // Pull the first chunk before sending headers, so a missing run is a clean 404.
      const first = await rows.next();
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="exceptions-${String(req.params.id)}.csv"`);
      if (!first.done) res.write(first.value);
      for await (const chunk of rows) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err instanceof Error ? err : undefined);
        return;
      }
      fail(err, next);
    }
  });

  return router;
}
