import { ConnectorError } from '../../src/connectors/errors';
import { fromProviderAmount } from '../../src/connectors/money';
import type {
  MobileMoneyConnector,
  MobileMoneyConnectorDefinition,
  RailEvent,
  RailKind,
} from '../../src/connectors/types';
import { safeEqual } from '../../src/services/crypto';

/**
 * A test-only rail: callbacks are JSON `{ id, type, txId, ref, status, amount, currency, account }` authenticated by
 * the URL token. It lets the ingest path be tested independently of any real rail's format.
 */
/** What the stub rail was asked to do, and what it answers to status queries. */
export const stubRailState = {
  initiated: [] as Array<{
    reference: string;
    idempotencyKey: string;
    amountMinor: bigint;
    phoneNumber: string;
  }>,
  reversals: [] as Array<{ providerTransactionId: string; amountMinor: bigint }>,
  status: 'PENDING' as 'PENDING' | 'SUCCEEDED' | 'FAILED',
  declineNext: false,
};

export function stubRailDefinition(
  kind: RailKind = 'STRIPE',
): MobileMoneyConnectorDefinition<Record<string, unknown>> {
  return {
    kind,
    id: 'stub',
    parseCredentials: (raw) => {
      if (!raw || typeof raw !== 'object')
        throw new ConnectorError('stub', 'AUTH_CONFIG_INVALID', 'credentials must be an object');
      return raw as Record<string, unknown>;
    },
    create: (): MobileMoneyConnector => {
      const parse = (rawBody: Buffer) => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new ConnectorError('stub', 'RESPONSE_DECODING_FAILED', 'not JSON');
        }
        if (!body || typeof body !== 'object' || typeof body.id !== 'string')
          throw new ConnectorError('stub', 'RESPONSE_DECODING_FAILED', 'no id');
        return body;
      };
      return {
        kind,
        capabilities: {
          currencies: ['UGX', 'KES'],
          push: true,
          payerInitiated: true,
          statusQuery: true,
          reversal: true,
          partialReversal: true,
          signedCallbacks: false,
        },
        initiateCollection: async (input) => {
          if (stubRailState.declineNext) {
            stubRailState.declineNext = false;
            throw new ConnectorError('stub', 'DECLINED', 'payer not found', {
              providerCode: 'PAYER_NOT_FOUND',
            });
          }
          stubRailState.initiated.push({
            reference: input.reference,
            idempotencyKey: input.idempotencyKey,
            amountMinor: input.amount.amountMinor,
            phoneNumber: input.phoneNumber,
          });
          return { providerRequestId: input.idempotencyKey, status: 'PENDING' };
        },
        getCollectionStatus: async ({ providerRequestId }) => ({
          status: stubRailState.status,
          providerTransactionId:
            stubRailState.status === 'SUCCEEDED' ? `TX-Q-${providerRequestId.slice(0, 8)}` : null,
          amount: null,
          failureCode: stubRailState.status === 'FAILED' ? 'APPROVAL_REJECTED' : null,
          failureMessage: null,
        }),
        verifyCallback: (input) => {
          if (!input.pathToken || !safeEqual(input.pathToken, input.expectedToken))
            throw new ConnectorError('stub', 'WEBHOOK_SIGNATURE_INVALID', 'bad token');
          const body = parse(input.rawBody);
          return {
            events: [{ providerEventId: body.id as string, eventType: String(body.type ?? 'payment') }],
            ack: { status: 200, body: { ok: true } },
          };
        },
        parseCallback: ({ rawBody }): RailEvent[] => {
          const b = parse(rawBody);
          if (b.type === 'reversal') {
            return [
              {
                kind: 'REVERSAL',
                providerEventId: b.id as string,
                providerReversalId: String(b.reversalId),
                originalProviderTransactionId: String(b.txId),
                status: b.status as 'SUCCEEDED',
                amount: b.amount
                  ? fromProviderAmount('stub', b.amount, String(b.currency), { kind: 'major' })
                  : null,
                occurredAt: null,
                failureCode: null,
              },
            ];
          }
          return [
            {
              kind: 'PAYMENT',
              providerEventId: b.id as string,
              providerTransactionId: (b.txId as string) ?? null,
              providerRequestId: (b.ref as string) ?? null,
              status: b.status as 'SUCCEEDED',
              amount: b.amount
                ? fromProviderAmount('stub', b.amount, String(b.currency), { kind: 'major' })
                : null,
              accountReference: (b.account as string) ?? null,
              payerReference: '256772123456',
              occurredAt: typeof b.occurredAt === 'string' ? new Date(b.occurredAt) : new Date(),
              failureCode: (b.failureCode as string) ?? null,
              failureMessage: null,
              needsConfirmation: false,
            },
          ];
        },
        reverseCollection: async (input) => {
          stubRailState.reversals.push({
            providerTransactionId: input.providerTransactionId,
            amountMinor: input.amount.amountMinor,
          });
          return { providerReversalId: `RV-${input.reference}`, status: 'PENDING' };
        },
        getReversalStatus: async () => {
          throw new ConnectorError('stub', 'FLOW_NOT_SUPPORTED', 'stub');
        },
      };
    },
  };
}
