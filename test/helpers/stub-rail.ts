import { ConnectorError } from '../../src/connectors/errors';
import { fromProviderAmount } from '../../src/connectors/money';
import type { MobileMoneyConnector, MobileMoneyConnectorDefinition, RailEvent, RailKind } from '../../src/connectors/types';
import { safeEqual } from '../../src/services/crypto';

/**
 * A test-only rail: callbacks are JSON `{ id, type, txId, ref, status, amount, currency, account }` authenticated by
 * the URL token. It lets the ingest path be tested independently of any real rail's format.
 */
export function stubRailDefinition(kind: RailKind = 'STRIPE'): MobileMoneyConnectorDefinition<Record<string, unknown>> {
  return {
    kind,
    id: 'stub',
    parseCredentials: (raw) => {
      if (!raw || typeof raw !== 'object') throw new ConnectorError('stub', 'AUTH_CONFIG_INVALID', 'credentials must be an object');
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
        if (!body || typeof body !== 'object' || typeof body.id !== 'string') throw new ConnectorError('stub', 'RESPONSE_DECODING_FAILED', 'no id');
        return body;
      };
      return {
        kind,
        capabilities: { currencies: ['UGX', 'KES'], push: false, payerInitiated: true, statusQuery: false, reversal: false, partialReversal: false, signedCallbacks: false },
        initiateCollection: async () => {
          throw new ConnectorError('stub', 'FLOW_NOT_SUPPORTED', 'stub');
        },
        getCollectionStatus: async () => ({ status: 'PENDING', providerTransactionId: null, amount: null, failureCode: null, failureMessage: null }),
        verifyCallback: (input) => {
          if (!input.pathToken || !safeEqual(input.pathToken, input.expectedToken)) throw new ConnectorError('stub', 'WEBHOOK_SIGNATURE_INVALID', 'bad token');
          const body = parse(input.rawBody);
          return { events: [{ providerEventId: body.id as string, eventType: String(body.type ?? 'payment') }], ack: { status: 200, body: { ok: true } } };
        },
        parseCallback: ({ rawBody }): RailEvent[] => {
          const b = parse(rawBody);
          if (b.type === 'reversal') {
            return [{ kind: 'REVERSAL', providerEventId: b.id as string, providerReversalId: String(b.reversalId), originalProviderTransactionId: String(b.txId), status: b.status as 'SUCCEEDED', amount: b.amount ? fromProviderAmount('stub', b.amount, String(b.currency), { kind: 'major' }) : null, occurredAt: null, failureCode: null }];
          }
          return [
            {
              kind: 'PAYMENT',
              providerEventId: b.id as string,
              providerTransactionId: (b.txId as string) ?? null,
              providerRequestId: (b.ref as string) ?? null,
              status: b.status as 'SUCCEEDED',
              amount: b.amount ? fromProviderAmount('stub', b.amount, String(b.currency), { kind: 'major' }) : null,
              accountReference: (b.account as string) ?? null,
              payerReference: '256772123456',
              occurredAt: new Date('2024-08-20T09:30:00Z'),
              failureCode: (b.failureCode as string) ?? null,
              failureMessage: null,
              needsConfirmation: false,
            },
          ];
        },
        reverseCollection: async () => {
          throw new ConnectorError('stub', 'FLOW_NOT_SUPPORTED', 'stub');
        },
        getReversalStatus: async () => {
          throw new ConnectorError('stub', 'FLOW_NOT_SUPPORTED', 'stub');
        },
      };
    },
  };
}
