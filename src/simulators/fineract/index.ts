/**
 * A Fineract simulator for tests and benchmarks: a `node:http` server on 127.0.0.1 serving the documented wire
 * formats of the endpoints Lipa uses, over a deterministic loan book generated from a seed. See README.md.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Portfolio, type SimulatorCurrency } from './portfolio';
import { createFineractHandler, FINERACT_API_PREFIX, type SimulatorControl } from './server';

export { FINERACT_API_PREFIX } from './server';
export type { SimulatorCurrency } from './portfolio';

export interface FineractSimulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Number of loans (ids 1..loans; client i belongs to loan i). */
  loans: number;
  /** Seed of the deterministic loan book: the same seed gives the same loans. */
  seed: number;
  /** Currency of every loan (default UGX). KES amounts carry cents. */
  currency?: SimulatorCurrency;
  tenantId: string;
  username: string;
  password: string;
  /** Fineract business date `YYYY-MM-DD` (default: today in UTC). Repayments after it are refused as "future". */
  businessDate?: string;
}

/** Observable and steerable state of a running simulator. */
export interface FineractSimulatorState {
  readonly loanCount: number;
  readonly currency: SimulatorCurrency;
  /** `YYYY-MM-DD`. */
  readonly businessDate: string;
  /** Requests served so far (all routes, including refused ones). */
  readonly requestCount: number;
  /**
   * Changes `count` active loans the way back-office activity would between two syncs (a teller repayment of one
   * installment each), so their list summary (totalOutstanding, totalRepayment, totalOverdue) moves. Returns the
   * ids of the changed loans. Deterministic for a given seed and call sequence.
   */
  mutate(count: number): string[];
  /** The loan's `summary.totalOutstanding` in minor units. @throws Error for an unknown loan id */
  outstandingMinor(loanId: string | number): bigint;
  /** The loan's status id as the API reports it now. */
  statusId(loanId: string | number): number;
  /** Refuses the next `writes` repayments/undos on the loan with the COB lock (409 `error.msg.loan.locked`). */
  lockLoan(loanId: string | number, writes?: number): void;
}

export interface FineractSimulator {
  /** Base URL ending in `/fineract-provider/api/v1`. */
  url: string;
  state: FineractSimulatorState;
  close(): Promise<void>;
}

/** Starts the simulator; resolves once it listens. */
export async function startFineractSimulator(options: FineractSimulatorOptions): Promise<FineractSimulator> {
  if (!Number.isInteger(options.loans) || options.loans < 0 || options.loans > 10_000_000)
    throw new RangeError('loans must be an integer between 0 and 10,000,000');
  const portfolio = new Portfolio({
    loans: options.loans,
    seed: options.seed,
    currency: options.currency ?? 'UGX',
    businessDate: options.businessDate ?? new Date().toISOString().slice(0, 10),
  });
  const control: SimulatorControl = { requests: 0, locks: new Map() };
  const server: Server = createServer(createFineractHandler(portfolio, options, control));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const indexOf = (loanId: string | number) => {
    const index = portfolio.indexOf(loanId);
    if (index < 0) throw new Error(`The simulator has no loan ${loanId}`);
    return index;
  };
  const state: FineractSimulatorState = {
    loanCount: portfolio.loans,
    currency: portfolio.currency,
    businessDate: portfolio.businessDate,
    get requestCount() {
      return control.requests;
    },
    mutate: (count) => portfolio.mutate(count),
    outstandingMinor: (loanId) => portfolio.view(indexOf(loanId)).outstanding,
    statusId: (loanId) => portfolio.view(indexOf(loanId)).status,
    lockLoan: (loanId, writes = 1) => void control.locks.set(indexOf(loanId), writes),
  };

  return {
    url: `http://127.0.0.1:${port}${FINERACT_API_PREFIX}`,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
