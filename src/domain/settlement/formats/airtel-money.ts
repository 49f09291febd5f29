/**
 * AIRTEL_MONEY_CSV: the transaction report exported from the Airtel Money merchant portal. Airtel documents no
 * statement format, so the layout is matched by header aliases; the rules are those of {@link parseWalletCsv}.
 *
 * Columns (aliases): id — Airtel Money Id, Transaction Id, TXN ID, Reference Id; reference — Merchant Reference,
 * External Reference, Reference; date — Transaction Date, Date, Date Time; amount — Amount, Transaction Amount;
 * Currency; Status (TS/SUCCESS/SUCCESSFUL, TF/FAILED, TIP/TA/PENDING/AMBIGUOUS — the codes of the Airtel API);
 * type — Type, Transaction Type; Fee; linked — Original Transaction Id.
 */
import type { SettlementParseBatch, SettlementParseOptions } from '../types';
import type { SettlementInput } from './common';
import { parseWalletCsv, type WalletFormat } from './wallet-csv';

export const AIRTEL_MONEY_FORMAT: WalletFormat = {
  name: 'Airtel Money',
  columns: [
    {
      key: 'id',
      label: 'Airtel Money Id',
      aliases: ['Airtel Money Id', 'Transaction Id', 'TXN ID', 'Reference Id'],
      required: true,
    },
    {
      key: 'reference',
      label: 'Merchant Reference',
      aliases: ['Merchant Reference', 'External Reference', 'Reference'],
    },
    {
      key: 'date',
      label: 'Transaction Date',
      aliases: ['Transaction Date', 'Date', 'Date Time'],
      required: true,
    },
    { key: 'amount', label: 'Amount', aliases: ['Amount', 'Transaction Amount'], required: true },
    { key: 'currency', label: 'Currency', aliases: ['Currency'] },
    { key: 'status', label: 'Status', aliases: ['Status'] },
    { key: 'type', label: 'Type', aliases: ['Type', 'Transaction Type'] },
    { key: 'fee', label: 'Fee', aliases: ['Fee'] },
    { key: 'linked', label: 'Original Transaction Id', aliases: ['Original Transaction Id'] },
  ],
  statuses: {
    TS: 'COMPLETED',
    SUCCESS: 'COMPLETED',
    SUCCESSFUL: 'COMPLETED',
    TF: 'FAILED',
    FAILED: 'FAILED',
    TIP: 'PENDING',
    TA: 'PENDING',
    PENDING: 'PENDING',
    AMBIGUOUS: 'PENDING',
  },
};

export function parseAirtelMoneyCsv(
  chunks: SettlementInput,
  options?: SettlementParseOptions,
): AsyncGenerator<SettlementParseBatch> {
  return parseWalletCsv(AIRTEL_MONEY_FORMAT, chunks, options);
}
