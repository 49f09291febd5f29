/**
 * MTN_MOMO_CSV: the transaction history exported from the MTN MoMo partner portal. MTN documents no statement
 * format, so the layout is matched by header aliases; the rules are those of {@link parseWalletCsv}.
 *
 * Columns (aliases): id — Financial Transaction Id, Transaction Id, Id; reference — External Transaction Id,
 * External Id, externalId; date — Date, Transaction Date, Date Time, Timestamp; Amount; Currency; Status
 * (SUCCESSFUL/SUCCESS/COMPLETED, FAILED/REJECTED/TIMEOUT, PENDING); type — Type, Transaction Type; Fee; linked —
 * Original Transaction Id, Linked Transaction Id.
 */
import type { SettlementParseBatch, SettlementParseOptions } from '../types';
import type { SettlementInput } from './common';
import { parseWalletCsv, type WalletFormat } from './wallet-csv';

export const MTN_MOMO_FORMAT: WalletFormat = {
  name: 'MTN MoMo',
  columns: [
    {
      key: 'id',
      label: 'Financial Transaction Id',
      aliases: ['Financial Transaction Id', 'Transaction Id', 'Id'],
      required: true,
    },
    {
      key: 'reference',
      label: 'External Transaction Id',
      aliases: ['External Transaction Id', 'External Id'],
    },
    {
      key: 'date',
      label: 'Date',
      aliases: ['Date', 'Transaction Date', 'Date Time', 'Timestamp'],
      required: true,
    },
    { key: 'amount', label: 'Amount', aliases: ['Amount'], required: true },
    { key: 'currency', label: 'Currency', aliases: ['Currency'] },
    { key: 'status', label: 'Status', aliases: ['Status'] },
    { key: 'type', label: 'Type', aliases: ['Type', 'Transaction Type'] },
    { key: 'fee', label: 'Fee', aliases: ['Fee'] },
    {
      key: 'linked',
      label: 'Original Transaction Id',
      aliases: ['Original Transaction Id', 'Linked Transaction Id'],
    },
  ],
  statuses: {
    SUCCESSFUL: 'COMPLETED',
    SUCCESS: 'COMPLETED',
    COMPLETED: 'COMPLETED',
    FAILED: 'FAILED',
    REJECTED: 'FAILED',
    TIMEOUT: 'FAILED',
    PENDING: 'PENDING',
  },
};

export function parseMtnMomoCsv(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  return parseWalletCsv(MTN_MOMO_FORMAT, chunks, options);
}
