/**
 * The reconciliation run as set-based SQL: a handful of statements over temp tables, each a hash join or a
 * window over the whole period, never one query per row. All amounts are integer minor units; tolerances too.
 *
 * Parameters (the same for every statement, `$n` below):
 *   :org organization id   :source payment source id   :from period from   :to period to (exclusive)
 *   :tolMinor amount tolerance in minor units   :tolBp amount tolerance in basis points of the payment amount
 *   :dateTol date tolerance in seconds   :run reconciliation run id   :grace lender grace in seconds
 *   :imports the ids of the source's completed imports whose period overlaps the run's (read once, before the steps)
 *   :repeatsListed the run reads one import, and it listed the keys it repeats (settlement_import.repeated_keys)
 *   :lenderMissing what the lender check found (JSON)   :lenderChecked whether the lender was read
 *   :lenderSampleCutoff when the lender check read a sample, the last LENDER_SAMPLE_KEY it read (else null)
 *
 * Statement lines are read straight from settlement_line (twice: for repeats, then for outcomes), never copied.
 *
 * Tables, in order:
 *   r_repeat statement lines (of the period widened by the date tolerance) whose transaction is listed more than
 *            once: a transaction that a later, overlapping import repeats counts once (first import wins); within one
 *            import a repeat is a DUPLICATE.
 *   r_out    one outcome per line (MATCHED, MATCHED_WITHIN_TOLERANCE, DUPLICATE, UNMATCHED, AMOUNT_MISMATCH, ...)
 *            with its payment: first by the rail's transaction id (authoritative; one full join of payment lines and
 *            the source's payments, whose payments without a line stay as rows without a line), then reversal lines by
 *            index, then, for lines without an id or payments Lipa knows only by request, a fuzzy pass (account
 *            reference + amount and date within tolerance) that accepts a pair only when it is the single candidate on
 *            both sides. Plain matches keep only the columns later steps read (see PLAIN).
 *   r_fuzzy  the fuzzy pass's candidate pairs, found by index lookups on the payments' account reference;
 *            r_fuzzy_ok the accepted ones.
 *   r_payout payout lines (1:N): the payout amount against what its items say Lipa received, less fees/refunds.
 *   r_lipa   Lipa's payments in the period (received, not pending or failed) that raise something, read off r_out:
 *            those no payment line settles are MISSING_IN_SETTLEMENT; those settled and matched to a loan but still
 *            not posted after the grace period are MISSING_IN_LENDER. r_lipa_total has the totals of all of them per
 *            currency.
 *   r_disc   the discrepancies to upsert (dedupe key per line or payment, so runs never duplicate them).
 *
 * Written: the discrepancies with their events, and reconciliation_line for every in-period line that did not match
 * plainly (the view reconciliation_line_outcome adds the plain matches back from the run's imports).
 */

/**
 * The order in which the lender check samples a run's posted payments: a hash of payment and run, so each run reads a
 * different random sample, and the clear step can tell whether a payment was in it (key <= the last one read).
 */
export const LENDER_SAMPLE_KEY = (paymentId: string, runId: string) =>
  `(md5(${paymentId} || ${runId}) collate "C")`;

/** Tolerance of one pair: the larger of the absolute and the relative allowance (integer division: floor). */
const TOLERANCE = (amount: string) => `greatest(:tolMinor::bigint, (${amount}) * :tolBp::bigint / 10000)`;

/**
 * The source's statement lines a run reads: those of its completed imports whose period overlaps the run's (:imports,
 * listed once before the steps), within the period widened by the date tolerance. Found through the imports: no
 * index on (source, time) to keep up at import. The imports are the source's, so a line carries no source of its own.
 */
const LINES = `l.import_id = any(:imports::text[])
  and l.organization_id = :org and l.status = 'COMPLETED'
  and l.occurred_at >= :from::timestamptz - make_interval(secs => :dateTol::int)
  and l.occurred_at < :to::timestamptz + make_interval(secs => :dateTol::int)`;

/**
 * A plain match in r_out: a payment line paired with its payment by the rail's id, same currency and amount (nearly
 * every line of a statement). Its evidence-only columns are left null (PLAIN_NULL): no later step reads them, and a
 * million rows half as wide are written and scanned six times faster. Its payment's amount and currency are the line's.
 */
const PLAIN = `coalesce(x.kind = 'PAYMENT' and x.outcome = 'MATCHED', false)`;
const PLAIN_NULL = (column: string) => `case when y.plain then null else y.${column} end as ${column}`;

/**
 * A payment (alias `p`) of the period that is matched to a loan and still not posted to the lender after the grace
 * period: MISSING_IN_LENDER once a statement line settles it.
 */
const UNPOSTED = (p: string) =>
  `(${p}.status = 'SUCCEEDED' and ${p}.loan_account_id is not null and ${p}.reconciliation_state = 'MATCHED'
    and ${p}.updated_at < now() - make_interval(secs => :grace::int) and ${IN_PERIOD(`${p}.received_at`)})`;

/** Nested loops on for the steps that follow (keyed lookups: index probes), or off again (bulk hash joins). */
const nestedLoops = (on: boolean, forSteps: string) => ({
  name: `${on ? 'keyed lookups' : 'bulk joins'} for ${forSteps}`,
  sql: `select set_config('enable_nestloop', '${on ? 'on' : 'off'}', true)`,
});

/**
 * Where the bulk join's payments start: a week (and the date tolerance) before the period. The join hashes the
 * source's payments from here on, not its whole history; a payment line naming an older payment is paired next, by
 * index (older payments). Only speed depends on this bound, never a result.
 */
const WINDOW_START = `(:from::timestamptz - make_interval(secs => :dateTol::int) - interval '7 days')`;

/** Whether a timestamp column falls in the run's period (from inclusive, to exclusive). */
const IN_PERIOD = (column: string) => `(${column} >= :from::timestamptz and ${column} < :to::timestamptz)`;

/** A payment `p` of the period that a statement should settle: received in the period, not pending or failed. */
const TO_SETTLE = (p: string) =>
  `${IN_PERIOD(`${p}.received_at`)} and ${p}.status not in ('PENDING', 'FAILED')`;

/** The source's payments that a statement of the period should settle. */
const LIPA_PAYMENTS = `p.organization_id = :org and p.payment_source_id = :source and ${TO_SETTLE('p')}`;

/**
 * A line's signed effect on the merchant's balance at the rail (positive = credited), fees included: as the file
 * stated it (net_minor), or, for lines imported before that was recorded, by the kind's usual direction (a payment
 * credits amount - fee, every other kind debits amount + fee), which mirrors usualNet in src/domain/settlement.
 */
const LINE_NET = `coalesce(l.net_minor, case when l.kind = 'PAYMENT' then l.amount_minor - l.fee_minor
                                            else -l.amount_minor - l.fee_minor end)`;

/**
 * What makes two lines (of one kind) the same transaction: the rail's id, or a payout's reference; a fee's or
 * adjustment's id with its payout, since that id is often the payment it concerns, which a later payout can name
 * again (a fee refunded). settlementLineKey in src/domain/settlement/repeats.ts says the same for the import.
 */
const LINE_KEY = `(coalesce(l.provider_transaction_id, case when l.kind = 'PAYOUT' then l.payout_reference end)
  || case when l.kind in ('FEE', 'ADJUSTMENT') and l.payout_reference is not null
          then chr(31) || l.payout_reference else '' end)`;

/** Expressions for the payment paired with a line (all null when there is none). */
interface Pair {
  payment: string;
  rule: string;
  amount: string;
  currency: string;
  status: string;
  state: string;
}

/** Expressions for a statement line: its kind, currency, amount and rank among repeats (1 = first). */
interface Line {
  kind: string;
  currency: string;
  amount: string;
  rn: string;
}

/** A statement line's outcome (MATCHED, DUPLICATE, UNMATCHED, ...) given the line `l` and its pair `p`. */
function outcome(l: Line, p: Pair): string {
  const REVERSING = `${l.kind} in ('REVERSAL', 'REFUND', 'CHARGEBACK')`;
  return `case
         when (${l.kind} = 'PAYMENT' or ${REVERSING}) and ${l.rn} > 1 then 'DUPLICATE'
         when ${l.kind} = 'PAYMENT' and ${p.payment} is null then 'UNMATCHED'
         when ${l.kind} = 'PAYMENT' and ${p.currency} <> ${l.currency} then 'CURRENCY_MISMATCH'
         when ${l.kind} = 'PAYMENT' and ${p.status} in ('PENDING', 'FAILED') then 'STATUS_MISMATCH'
         when ${l.kind} = 'PAYMENT' and ${p.amount} = ${l.amount} then
           case when ${p.rule} = 'TRANSACTION_ID' then 'MATCHED' else 'MATCHED_FUZZY' end
         when ${l.kind} = 'PAYMENT' and abs(${p.amount} - ${l.amount}) <= ${TOLERANCE(p.amount)}
           then 'MATCHED_WITHIN_TOLERANCE'
         when ${l.kind} = 'PAYMENT' then 'AMOUNT_MISMATCH'
         when ${REVERSING} and ${p.payment} is null then 'UNMATCHED'
         when ${REVERSING}
              and (${p.status} in ('REVERSED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGED_BACK')
                   or exists (select 1 from reversal v where v.payment_id = ${p.payment} and v.status = 'SUCCEEDED'))
           then 'MATCHED'
         when ${REVERSING} and ${p.state} = 'POSTED' then 'REVERSED_AFTER_POSTING'
         when ${REVERSING} then 'MISSING_AT_RAIL'
         when ${l.kind} = 'PAYOUT' then 'PAYOUT'
         else 'INFORMATIONAL'
       end`;
}

/** A payment `p` paired by the rail's transaction id, as outcome() reads it. */
const PAYMENT_PAIR: Pair = {
  payment: 'p.id',
  rule: "'TRANSACTION_ID'",
  amount: 'p.amount_minor',
  currency: 'p.currency',
  status: 'p.status',
  state: 'p.reconciliation_state',
};

/** A line of r_out (`o`), as outcome() reads it. */
const R_OUT_LINE: Line = { kind: 'o.kind', currency: 'o.currency', amount: 'o.amount_minor', rn: 'o.rn' };

/** An r_out row's payment columns and outcome once its line is paired by transaction id with payment `p` (updates). */
const SET_PAIRED_BY_ID = `payment_id = p.id, rule = 'TRANSACTION_ID', pay_amount = p.amount_minor,
       pay_currency = p.currency, pay_status = p.status, loan_account_id = p.loan_account_id,
       pay_in_period = ${IN_PERIOD('p.received_at')}, outcome = ${outcome(R_OUT_LINE, PAYMENT_PAIR)}`;

export const RUN_STEPS: ReadonlyArray<{ name: string; sql: string }> = [
  {
    name: 'session settings',
    // Memory for the hash joins and sorts; a smaller statistics sample for the temp tables' ANALYZE; no JIT: the
    // correlated EXISTS in three steps inflate the cost estimates past jit_above_cost, and compiling those plans
    // took 150-270 ms each while the statements themselves run in 30-60 ms per 100k rows.
    //
    // No nested loops for the bulk steps: settlement_line is read straight after a big import, before autovacuum
    // has analysed it, and an estimate of one row made the planner loop over a million lines once per repeated key.
    // Hash joins are right at every size here; the steps that probe an index a few thousand times (reversal and fuzzy
    // pairs, Lipa's payments, the lender check) turn nested loops on around themselves (nestedLoops).
    sql: `select set_config('work_mem', '256MB', true), set_config('default_statistics_target', '20', true),
                 set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)`,
  },
  // One run per source at a time: a second waits here, so runs never clear or duplicate each other's findings.
  { name: 'lock source', sql: `select pg_advisory_xact_lock(hashtext('lipa-recon:' || :source::text))` },
  {
    // Only the few keys listed more than once need ranking: find them (kept apart, so the planner knows how few they
    // are), then rank just those rows instead of sorting every line. A run over one import reads the keys the import
    // found repeated while it streamed the file (a superset: the ranking below is exact, and a key listed once ranks
    // first of one); otherwise a hash aggregate of every line finds them, a second a million lines.
    name: 'repeated keys',
    sql: `
create temp table r_repeat_key on commit drop as
select distinct k.kind, k.key as line_key
from settlement_import i cross join jsonb_to_recordset(i.repeated_keys) as k(kind text, key text)
where :repeatsListed::boolean and i.id = any(:imports::text[]) and i.organization_id = :org
union all
select l.kind, ${LINE_KEY} as line_key from settlement_line l
where not :repeatsListed::boolean and ${LINES} and ${LINE_KEY} is not null
group by 1, 2 having count(*) > 1`,
  },
  { name: 'analyze repeated keys', sql: `analyze r_repeat_key` },
  {
    name: 'repeated lines',
    sql: `
create temp table r_repeat on commit drop as
select r.id, r.in_period, row_number() over (partition by r.kind, r.line_key, r.import_id order by r.id) as rn,
       dense_rank() over (partition by r.kind, r.line_key order by r.import_id) as import_rank
from (select l.id, l.kind, l.import_id, ${LINE_KEY} as line_key,
             ${IN_PERIOD('l.occurred_at')} as in_period
      from settlement_line l where ${LINES}) r
join r_repeat_key k on k.kind = r.kind and k.line_key = r.line_key`,
  },
  { name: 'analyze repeated lines', sql: `analyze r_repeat` },
  {
    name: 'pairs by transaction id, outcomes',
    // Every payment line with its payment by the rail's transaction id (authoritative; a payment's id is unique per
    // source, so at most one) and its outcome, in one pass. A full join: the in-period payments no line names come
    // out too, as rows without a line, so Lipa's side needs no second pass over every payment. Reversal lines are
    // paired next, by index; the fuzzy pass revisits only the payment lines left unpaired.
    sql: `
create temp table r_out on commit drop as
select line_id, kind, amount_minor, fee_minor, item_net, currency, payout_reference, in_period, rn, payment_id,
       pay_in_period, pay_unposted, reversal_of, outcome, plain,
       ${PLAIN_NULL('ptx')}, ${PLAIN_NULL('occurred_at')}, ${PLAIN_NULL('reference')}, ${PLAIN_NULL('import_id')},
       ${PLAIN_NULL('line_number')}, ${PLAIN_NULL('rule')}, ${PLAIN_NULL('pay_amount')},
       ${PLAIN_NULL('pay_currency')}, ${PLAIN_NULL('pay_status')}, ${PLAIN_NULL('loan_account_id')}
-- Each level is kept apart (offset 0) so that its expressions are evaluated once per row: flattened, the outcome's
-- case would run again inside every plain test, and the plain test inside every column.
from (select x.*, ${PLAIN} as plain from (
select l.id as line_id, l.kind, l.provider_transaction_id as ptx, l.amount_minor, l.fee_minor,
       -- What a payout's sum counts for a line other than a payment (a payment counts as Lipa's amount less its fee).
       case when l.kind <> 'PAYMENT' then ${LINE_NET} end as item_net, l.currency,
       l.payout_reference, ${IN_PERIOD('l.occurred_at')} as in_period,
       l.occurred_at, l.reference, l.import_id, l.line_number, l.rn, p.id as payment_id,
       case when l.id is not null and p.id is not null then 'TRANSACTION_ID' end as rule,
       p.amount_minor as pay_amount, p.currency as pay_currency, p.status as pay_status, p.loan_account_id,
       ${IN_PERIOD('p.received_at')} as pay_in_period, ${UNPOSTED('p')} as pay_unposted,
       case when l.kind in ('REVERSAL', 'REFUND', 'CHARGEBACK')
            then coalesce(l.linked_transaction_id, l.provider_transaction_id) end as reversal_of,
       case when l.id is not null then ${outcome(
         { kind: 'l.kind', currency: 'l.currency', amount: 'l.amount_minor', rn: 'l.rn' },
         PAYMENT_PAIR,
       )} end as outcome
from (
  -- A payment line pairs by its own id only: one without (a bank line, say) goes to the fuzzy pass, never through a
  -- linked id, which could name a payment another line already settles.
  select l.*, coalesce(rr.rn, 1) as rn,
         case when l.kind = 'PAYMENT' and coalesce(rr.rn, 1) = 1 then l.provider_transaction_id end as pair_key
  from settlement_line l
  left join r_repeat rr on rr.id = l.id
  -- A transaction that a later, overlapping import repeats counts once: the first import's line.
  where ${LINES} and (rr.import_rank is null or rr.import_rank = 1)
) l
full join (
  select p.id, p.provider_transaction_id, p.amount_minor, p.currency, p.status, p.loan_account_id,
         p.reconciliation_state, p.received_at, p.updated_at
  from payment p where p.organization_id = :org and p.payment_source_id = :source and p.received_at >= ${WINDOW_START}
) p on p.provider_transaction_id = l.pair_key
-- Payments without a line only when a statement of the period should have settled them.
where l.id is not null or (${TO_SETTLE('p')})
offset 0) x offset 0) y`,
  },
  { name: 'analyze outcomes', sql: `analyze r_out` },
  // Reversal lines and fuzzy candidates are a few thousand rows looked up by key: an index probe each (the payment's
  // transaction id, its account reference) instead of hashing every payment of the source again.
  nestedLoops(true, 'older payments, reversal pairs and fuzzy candidates'),
  {
    name: 'pairs by transaction id, older payments',
    // Payment lines the bulk join left unpaired, looked up among the payments received before its window: an index
    // probe each. There are few (each one left unpaired here is a discrepancy, which costs more to write than a probe).
    sql: `
update r_out o
   set ${SET_PAIRED_BY_ID}, pay_unposted = ${UNPOSTED('p')}
from payment p
where o.kind = 'PAYMENT' and o.rn = 1 and o.line_id is not null and o.payment_id is null and o.ptx is not null
  and p.organization_id = :org and p.payment_source_id = :source and p.provider_transaction_id = o.ptx
  and p.received_at < ${WINDOW_START}`,
  },
  {
    name: 'reversal pairs',
    // A reversal, refund or charge-back names the payment it undoes (linked id, else its own id); its repeats too.
    sql: `
update r_out o
   set ${SET_PAIRED_BY_ID}
from payment p
where o.reversal_of is not null and p.organization_id = :org and p.payment_source_id = :source
  and p.provider_transaction_id = o.reversal_of`,
  },
  {
    name: 'fuzzy candidates',
    // Payment lines the rail's id did not pair: those without an id against any payment, those with an id Lipa does
    // not know against the payments Lipa knows only by its own request id.
    sql: `
create temp table r_fuzzy on commit drop as
select u.line_id, u.ctid as line_ctid, p.id as payment_id, p.amount_minor as pay_amount, p.currency as pay_currency,
       p.status as pay_status, p.reconciliation_state as pay_state, p.loan_account_id,
       ${IN_PERIOD('p.received_at')} as pay_in_period, ${UNPOSTED('p')} as pay_unposted
from r_out u
join payment p on p.organization_id = :org and p.payment_source_id = :source
              and p.account_reference = u.reference and p.currency = u.currency
              and p.status not in ('PENDING', 'FAILED')
              and abs(p.amount_minor - u.amount_minor) <= ${TOLERANCE('p.amount_minor')}
              and p.received_at between u.occurred_at - make_interval(secs => :dateTol::int)
                                    and u.occurred_at + make_interval(secs => :dateTol::int)
              and (u.ptx is null or p.provider_transaction_id like 'req:%')
where u.kind = 'PAYMENT' and u.rn = 1 and u.payment_id is null and u.reference is not null`,
  },
  nestedLoops(false, 'fuzzy acceptance'),
  {
    name: 'fuzzy pairs accepted',
    // A candidate pair is accepted only when it is the single candidate on both sides and no line already names the
    // payment: one pass over r_out for the named payments, not an anti-join of every payment.
    sql: `
create temp table r_fuzzy_ok on commit drop as
-- The named candidates by an inner join, which hashes the few candidates; an anti-join would hash all of r_out.
with named as materialized (
  select distinct x.payment_id from r_out x join r_fuzzy c on c.payment_id = x.payment_id where x.line_id is not null
), free as (
  select c.* from r_fuzzy c where not exists (select 1 from named n where n.payment_id = c.payment_id)
), counted as (
  select free.*, count(*) over (partition by free.line_id) as per_line,
         count(*) over (partition by free.payment_id) as per_payment
  from free
)
select * from counted where per_line = 1 and per_payment = 1`,
  },
  nestedLoops(true, "fuzzy pairs and Lipa's payments"),
  {
    name: 'fuzzy pairs',
    sql: `
update r_out o
   set payment_id = f.payment_id, rule = 'REFERENCE_AMOUNT_DATE', pay_amount = f.pay_amount,
       pay_currency = f.pay_currency, pay_status = f.pay_status, loan_account_id = f.loan_account_id,
       pay_in_period = f.pay_in_period, pay_unposted = f.pay_unposted,
       outcome = ${outcome(R_OUT_LINE, {
         payment: 'f.payment_id',
         rule: "'REFERENCE_AMOUNT_DATE'",
         amount: 'f.pay_amount',
         currency: 'f.pay_currency',
         status: 'f.pay_status',
         state: 'f.pay_state',
       })}
from r_fuzzy_ok f
-- By the row's address, taken with the candidates (nothing has updated r_out since): a probe each, not a scan.
where o.ctid = f.line_ctid`,
  },
  {
    // Only the payments that raise something, read from r_out and looked up by key: those no line settles (the full
    // join's rows without a line, less those the fuzzy pass paired since) and those settled and matched to a loan but
    // still not posted after the grace period. Totals come from 'lipa totals in period' and r_out.
    name: 'lipa payments in period',
    sql: `
create temp table r_lipa on commit drop as
select p.id as payment_id, p.provider_transaction_id as ptx, p.amount_minor, p.currency, p.received_at,
       p.status, p.reconciliation_state, p.loan_account_id, p.updated_at, t.settled
from (
  select o.payment_id, o.line_id is not null as settled from r_out o
  where (o.line_id is null and not exists (select 1 from r_fuzzy_ok f where f.payment_id = o.payment_id))
     or (o.kind = 'PAYMENT' and o.pay_unposted)
) t
join payment p on p.id = t.payment_id`,
  },
  nestedLoops(false, 'payouts, totals and discrepancies'),
  {
    name: 'payouts (1:N)',
    sql: `
create temp table r_payout on commit drop as
select po.line_id, po.amount_minor as payout_amount, po.currency, po.payout_reference,
       -- A payment item counts as the amount Lipa received less the rail's fee; any other item as it moved the
       -- balance (item_net: a refund or fee takes money off, a credit adjustment or refunded fee adds it).
       coalesce(sum(case i.kind
                      when 'PAYMENT' then coalesce(i.pay_amount, i.amount_minor) - coalesce(i.fee_minor, 0)
                      when 'PAYOUT' then 0
                      else i.item_net end), 0)::bigint as expected_amount,
       count(i.line_id) as items,
       count(i.line_id) filter (where i.kind = 'PAYMENT') as payment_items,
       count(i.line_id) filter (where i.kind = 'PAYMENT' and i.payment_id is null) as unknown_items
from r_out po
-- A payment or reversal listed twice in one file is a duplicate, counted once; fees and adjustments are not: their id
-- is the payment they concern, and one payment can carry several (GoCardless lists its fee and the app fee apart).
left join r_out i on i.payout_reference = po.payout_reference and i.kind <> 'PAYOUT'
                 and (i.rn = 1 or i.kind in ('FEE', 'ADJUSTMENT'))
where po.kind = 'PAYOUT' and po.rn = 1 and po.payout_reference is not null
group by po.line_id, po.amount_minor, po.currency, po.payout_reference`,
  },
  {
    name: 'payout outcomes',
    sql: `
-- A payout is a sum of exact items: the only honest slack is rounding, one minor unit per item (GoCardless rounds
-- tenths per item), or the absolute tolerance if larger. A relative tolerance would hide a short payout.
update r_out o set outcome = case
    when abs(p.payout_amount - p.expected_amount) <= greatest(:tolMinor::bigint, p.items) then 'MATCHED'
    else 'PAYOUT_MISMATCH' end,
  rule = 'PAYOUT_ITEMS'
from r_payout p where p.line_id = o.line_id`,
  },
  {
    name: 'lipa totals in period',
    sql: `
create temp table r_lipa_total on commit drop as
select p.currency, count(*)::int as count, sum(p.amount_minor) as amount_minor,
       count(*) filter (where p.reconciliation_state in ('POSTED', 'REVERSED_IN_LENDER'))::int as posted_count,
       coalesce(sum(p.amount_minor) filter (where p.reconciliation_state in ('POSTED', 'REVERSED_IN_LENDER')), 0)
         as posted_minor,
       count(*) filter (where p.loan_account_id is null)::int as without_loan_count
from payment p
where ${LIPA_PAYMENTS}
group by p.currency`,
  },
  {
    name: 'discrepancies to raise',
    sql: `
create temp table r_disc on commit drop as
select o.outcome, d.type, d.summary,
       'recon:' || d.type || ':' || :source || ':' || coalesce(o.kind || ':' || o.ptx || ':' || o.rn, 'line:' || o.line_id)
         as dedupe_key,
       o.payment_id, o.loan_account_id, o.amount_minor, o.currency,
       jsonb_build_object(
         'settlementLine', jsonb_build_object('id', o.line_id::text, 'importId', o.import_id,
           'lineNumber', o.line_number, 'kind', o.kind, 'providerTransactionId', o.ptx,
           'amountMinor', o.amount_minor::text, 'currency', o.currency, 'occurredAt', o.occurred_at,
           'reference', o.reference),
         'payment', case when o.payment_id is null then null else jsonb_build_object('id', o.payment_id,
           'amountMinor', o.pay_amount::text, 'currency', o.pay_currency, 'status', o.pay_status) end,
         'rule', o.rule,
         'toleranceMinor', case when o.kind = 'PAYOUT'
                                  then case when po.line_id is not null
                                            then greatest(:tolMinor::bigint, po.items)::text end
                                when o.pay_amount is null then null
                                else (${TOLERANCE('o.pay_amount')})::text end,
         'payout', case when po.line_id is not null then jsonb_build_object('reference', po.payout_reference,
                     'expectedAmountMinor', po.expected_amount::text, 'paymentItems', po.payment_items,
                     'itemsWithoutPayment', po.unknown_items) end) as evidence
from r_out o
-- One row per payout line at most (r_payout is grouped by line): a hash join, not a scan of r_payout per line.
left join r_payout po on po.line_id = o.line_id
cross join lateral (select
  case o.outcome
    when 'DUPLICATE' then 'DUPLICATE_PAYMENT'
    when 'UNMATCHED' then 'UNMATCHED_PAYMENT'
    when 'CURRENCY_MISMATCH' then 'CURRENCY_MISMATCH'
    when 'STATUS_MISMATCH' then 'AMOUNT_MISMATCH'
    when 'AMOUNT_MISMATCH' then 'SETTLEMENT_AMOUNT_MISMATCH'
    when 'PAYOUT_MISMATCH' then 'SETTLEMENT_AMOUNT_MISMATCH'
    when 'REVERSED_AFTER_POSTING' then 'REVERSED_AFTER_POSTING'
    when 'MISSING_AT_RAIL' then 'MISSING_AT_RAIL'
  end as type,
  case o.outcome
    when 'DUPLICATE' then 'The statement lists this transaction more than once'
    when 'UNMATCHED' then case when o.kind = 'PAYMENT'
      then 'The rail settled money Lipa has no payment for (its callback never came): look it up or match it'
      else 'The rail reversed a payment Lipa never received' end
    when 'CURRENCY_MISMATCH' then 'The statement and Lipa disagree on the currency of this payment'
    when 'STATUS_MISMATCH' then 'The rail settled a payment Lipa holds as ' || o.pay_status
    when 'AMOUNT_MISMATCH' then 'The settled amount differs from the amount Lipa received by more than the tolerance'
    when 'PAYOUT_MISMATCH' then 'The payout does not equal its payments less fees and refunds'
    when 'REVERSED_AFTER_POSTING' then 'The rail reversed a payment already posted to the lender; undo it there'
    when 'MISSING_AT_RAIL' then 'The rail took this payment back but Lipa still counts it as received'
  end as summary) d
-- A plain match raises nothing: skip the million of them before the joins and the case below.
where o.in_period and not o.plain and d.type is not null`,
  },
  {
    name: 'lipa-side discrepancies',
    sql: `
insert into r_disc (outcome, type, summary, dedupe_key, payment_id, loan_account_id, amount_minor, currency, evidence)
select case when not l.settled then 'MISSING_IN_SETTLEMENT' else 'MISSING_IN_LENDER' end,
       case when not l.settled then 'MISSING_IN_SETTLEMENT' else 'MISSING_IN_LENDER' end,
       case when not l.settled then 'Lipa received this payment but the rail''s statement does not settle it'
            else 'The rail settled this payment and it is matched to a loan, but it is not posted to the lender' end,
       'recon:' || case when not l.settled then 'MISSING_IN_SETTLEMENT' else 'MISSING_IN_LENDER' end
         || ':payment:' || l.payment_id,
       l.payment_id, l.loan_account_id, l.amount_minor, l.currency,
       jsonb_build_object('payment', jsonb_build_object('id', l.payment_id, 'providerTransactionId', l.ptx,
         'amountMinor', l.amount_minor::text, 'currency', l.currency, 'status', l.status,
         'reconciliationState', l.reconciliation_state, 'receivedAt', l.received_at))
from r_lipa l`,
  },
  nestedLoops(true, 'the lender check'),
  {
    name: 'lender check: posted repayments the lender no longer shows',
    sql: `
insert into r_disc (outcome, type, summary, dedupe_key, payment_id, loan_account_id, amount_minor, currency, evidence)
select 'MISSING_IN_LENDER', 'MISSING_IN_LENDER',
       case m.reason when 'REVERSED' then 'Posted to the lender, but the lender now shows the repayment reversed'
                     else 'Posted to the lender, but the lender no longer lists the repayment' end,
       'recon:MISSING_IN_LENDER:payment:' || p.id, p.id, p.loan_account_id, p.amount_minor, p.currency,
       jsonb_build_object('payment', jsonb_build_object('id', p.id, 'providerTransactionId', p.provider_transaction_id,
           'amountMinor', p.amount_minor::text, 'currency', p.currency, 'postedAt', p.posted_at,
           'lenderTransactionId', p.lender_transaction_id),
         'lenderCheck', jsonb_build_object('reason', m.reason, 'lenderTransactionId', m.lender_transaction_id))
from jsonb_to_recordset(:lenderMissing::jsonb) as m(payment_id text, reason text, lender_transaction_id text)
join payment p on p.id = m.payment_id and p.organization_id = :org and p.reconciliation_state = 'POSTED'`,
  },
  {
    name: 'upsert discrepancies and their events',
    sql: `
with numbered as (
  select r.*, row_number() over (order by r.dedupe_key) as seq from r_disc r
), upserted as (
  insert into discrepancy (id, organization_id, created_at, updated_at, type, status, dedupe_key, payment_id,
                           loan_account_id, reconciliation_run_id, payment_source_id, amount_minor, currency,
                           summary, evidence)
  select lipa_id('disc', n.seq, (select lipa_id_time())), :org, now(), now(), n.type, 'OPEN', n.dedupe_key, n.payment_id, n.loan_account_id,
         :run, :source, n.amount_minor, n.currency, n.summary, n.evidence
  from numbered n
  -- In payment order: the foreign-key check on each row then walks the payment index in order instead of at random.
  order by n.payment_id
  on conflict (organization_id, dedupe_key) do update
    set reconciliation_run_id = excluded.reconciliation_run_id, evidence = excluded.evidence,
        summary = excluded.summary, updated_at = now(),
        -- Cleared by an earlier run but found again: open it again. A person's resolution is left as it is.
        status = case when discrepancy.resolution = 'CLEARED_BY_RECONCILIATION' then 'OPEN' else discrepancy.status end,
        resolution = case when discrepancy.resolution = 'CLEARED_BY_RECONCILIATION' then null
                          else discrepancy.resolution end,
        resolved_by = case when discrepancy.resolution = 'CLEARED_BY_RECONCILIATION' then null
                           else discrepancy.resolved_by end,
        resolved_at = case when discrepancy.resolution = 'CLEARED_BY_RECONCILIATION' then null
                           else discrepancy.resolved_at end,
        note = case when discrepancy.resolution = 'CLEARED_BY_RECONCILIATION' then 'Found again by run ' || :run
                    else discrepancy.note end
  returning id, type, payment_id, (xmax = 0 or note = 'Found again by run ' || :run) as inserted
)
insert into outbox_event (id, organization_id, created_at, updated_at, type, aggregate_type, aggregate_id, payload)
select lipa_id('oev', row_number() over (order by u.id), (select lipa_id_time())), :org, now(), now(), 'discrepancy.opened', 'discrepancy', u.id,
       jsonb_build_object('discrepancyId', u.id, 'type', u.type, 'paymentId', u.payment_id,
                          'reconciliationRunId', :run::text)
from upserted u where u.inserted`,
  },
  {
    name: 'clear what earlier runs raised and this run no longer finds',
    sql: `
with cleared as (
  update discrepancy d
     set status = 'RESOLVED', resolution = 'CLEARED_BY_RECONCILIATION',
         note = 'Not found again by reconciliation run ' || :run, resolved_by = 'system', resolved_at = now(),
         updated_at = now()
   where d.organization_id = :org and d.payment_source_id = :source and d.status in ('OPEN', 'IN_REVIEW')
     and d.dedupe_key like 'recon:%' and d.reconciliation_run_id <> :run
     -- Only a lender check that read the payment can clear what a lender check found: not a run that skipped the
     -- lender, nor one whose sample left the payment out.
     and (d.evidence->'lenderCheck' is null
          or (:lenderChecked::boolean
              and (:lenderSampleCutoff::text is null
                   or ${LENDER_SAMPLE_KEY('d.payment_id', ':run::text')} <= :lenderSampleCutoff::text)))
     and d.reconciliation_run_id in (select id from reconciliation_run
                                     where organization_id = :org and payment_source_id = :source
                                       and period_from >= :from::timestamptz and period_to <= :to::timestamptz)
  returning d.id, d.type, d.payment_id
), events as (
  insert into outbox_event (id, organization_id, created_at, updated_at, type, aggregate_type, aggregate_id, payload)
  select lipa_id('oev', 1000000000 + row_number() over (order by c.id), (select lipa_id_time())), :org, now(), now(), 'discrepancy.resolved',
         'discrepancy', c.id, jsonb_build_object('discrepancyId', c.id, 'type', c.type, 'paymentId', c.payment_id,
         'resolution', 'CLEARED_BY_RECONCILIATION', 'reconciliationRunId', :run::text)
  from cleared c
)
insert into audit_log (id, organization_id, created_at, updated_at, actor_type, actor_id, action, entity_type,
                       entity_id, data)
select lipa_id('aud', row_number() over (order by c.id), (select lipa_id_time())), :org, now(), now(), 'SYSTEM', null,
       'discrepancy.cleared', 'discrepancy', c.id, jsonb_build_object('reconciliationRunId', :run::text)
from cleared c`,
  },
  {
    // Every in-period line but the plain matches (a payment paired by the rail's id at the same amount, nearly all
    // of a statement): the view reconciliation_line_outcome rebuilds those from the run's imports. Lines a later,
    // overlapping import repeats are recorded too: they were counted under the earlier import.
    name: 'record outcomes per statement line',
    sql: `
insert into reconciliation_line (reconciliation_run_id, settlement_line_id, organization_id, outcome, rule, payment_id)
select :run, o.line_id, :org, o.outcome, o.rule, o.payment_id from r_out o
where o.in_period and not o.plain
union all
select :run, rr.id, :org, 'COUNTED_IN_EARLIER_IMPORT', null, null from r_repeat rr
where rr.in_period and rr.import_rank > 1`,
  },
];

/** Totals per outcome (statement side) and per discrepancy type, read after the steps above. */
export const STATS_SQL = {
  outcomes: `
select outcome, kind, currency, count(*)::int as count, sum(amount_minor)::text as amount_minor,
       sum(case when pay_amount is null then 0 else abs(pay_amount - amount_minor) end)::text as drift_minor
from r_out where in_period group by outcome, kind, currency order by outcome, kind, currency`,
  // Settled: the in-period payments a statement line paired (each at most once, see r_out).
  lipa: `
select t.currency, t.count, t.amount_minor::text, coalesce(s.settled_count, 0) as settled_count,
       coalesce(s.settled_minor, 0)::text as settled_minor, t.posted_count, t.posted_minor::text,
       t.without_loan_count
from r_lipa_total t
left join (select case when plain then currency else pay_currency end as pay_currency, count(*)::int as settled_count,
                  sum(case when plain then amount_minor else pay_amount end) as settled_minor from r_out
           where kind = 'PAYMENT' and payment_id is not null and pay_in_period
             and (plain or pay_status not in ('PENDING', 'FAILED'))
           group by 1) s on s.pay_currency = t.currency
order by t.currency`,
  discrepancies: `
select type, currency, count(*)::int as count, coalesce(sum(amount_minor), 0)::text as amount_minor
from r_disc group by type, currency order by type, currency`,
};
