import { Writable } from 'node:stream';
import { createLogger, scrubText } from '../../src/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: stream }), output: () => lines.join('') };
}

describe('log redaction', () => {
  const phone = '256772123456';

  it('never writes a phone number, e-mail, name, account number, API key or auth header', () => {
    const { logger, output } = capture();
    logger.info(
      { phoneNumber: phone, msisdn: `+${phone}`, payer: { phone, name: 'Aisha Namuli' } },
      'payment',
    );
    logger.info({ req: { headers: { authorization: 'Bearer lipa_abcdefghijkl_secret' } } }, 'request');
    logger.info(
      {
        body: {
          MSISDN: '2547 ***** 126',
          FirstName: 'NICHOLAS',
          accountNumber: 'ACC-99812',
          email: 'a@b.co',
        },
      },
      'callback',
    );
    logger.info(`STK push sent to ${phone} for loan`);
    logger.info(`payer +256 772 123 456 paid; contact aisha@example.com`);
    logger.error(
      { err: new Error(`Daraja refused 254708374149 with key lipa_abcdefghijkl_zzzzzzzz`) },
      'failed',
    );
    logger.debug({ credentials: { consumerSecret: 'abc', passkey: 'def' }, apiKey: 'k' }, 'config');
    const text = output();
    for (const forbidden of [
      phone,
      '254708374149',
      '772 123 456',
      'Aisha',
      'NICHOLAS',
      'ACC-99812',
      'a@b.co',
      'aisha@example.com',
      'lipa_abcdefghijkl',
      'consumerSecret":"abc',
      '"def"',
    ]) {
      expect(text).not.toContain(forbidden);
    }
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('[PHONE]');
  });

  it('keeps non-personal numbers such as amounts and ids readable', () => {
    expect(scrubText('amount 50000 UGX for loan_01JD3W')).toBe('amount 50000 UGX for loan_01JD3W');
  });
});
