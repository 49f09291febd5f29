import { SignJWT } from 'jose';
import { seedLoanWithPayment } from '../factories';
import { startTestHub, type TestHub } from '../helpers/hub';

const SECRET = 'a-front-end-signing-secret-of-at-least-32-chars';

describe('JWT authentication (LIPA_JWT_SECRET)', () => {
  let hub: TestHub;
  let orgId: string;
  let loanId: string;

  beforeAll(async () => {
    hub = await startTestHub({
      env: { LIPA_JWT_SECRET: SECRET, LIPA_JWT_ISSUER: 'https://id.lender.example' },
    });
    orgId = (await hub.createOrg()).orgId;
    loanId = (await seedLoanWithPayment(hub.runtime.orm, orgId, { assignedAgentId: 'agent-7' })).loan.id;
  });
  afterAll(async () => hub.close());

  const token = (
    claims: Record<string, unknown>,
    opts: { secret?: string; exp?: string; issuer?: string } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(opts.issuer ?? 'https://id.lender.example')
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(new TextEncoder().encode(opts.secret ?? SECRET));

  it('accepts a valid token and applies its organization and role', async () => {
    const jwt = await token({ sub: 'agent-7', org: orgId, role: 'AGENT', name: 'Agent Seven' });
    const me = await hub.gql('{ me { role actorType actorId name organization { id } } }', {}, jwt);
    expect(me.body.data.me).toEqual({
      role: 'AGENT',
      actorType: 'USER',
      actorId: 'agent-7',
      name: 'Agent Seven',
      organization: { id: orgId },
    });
    // An agent sees contact data of loans assigned to it.
    const loan = await hub.gql(
      `{ loanAccount(id: "${loanId}") { borrower { phoneNumber contactVisible } } }`,
      {},
      jwt,
    );
    expect(loan.body.data.loanAccount.borrower).toEqual({
      phoneNumber: '256772123456',
      contactVisible: true,
    });
  });

  it.each([
    [
      'a wrong signature',
      () =>
        token(
          { sub: 'x', org: 'org_x', role: 'ADMIN' },
          { secret: 'another-secret-of-at-least-32-characters!!' },
        ),
    ],
    ['an expired token', () => token({ sub: 'x', org: 'org_x', role: 'ADMIN' }, { exp: '-1m' })],
    [
      'another issuer',
      () => token({ sub: 'x', org: 'org_x', role: 'ADMIN' }, { issuer: 'https://evil.example' }),
    ],
    ['an unknown role', () => token({ sub: 'x', org: 'org_x', role: 'ROOT' })],
    ['no organization', () => token({ sub: 'x', role: 'ADMIN' })],
  ])('rejects %s', async (_label, make) => {
    const res = await hub.gql('{ me { role } }', {}, await make());
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("scopes a token to its organization: another org's token sees none of these rows", async () => {
    const other = (await hub.createOrg()).orgId;
    const jwt = await token({ sub: 'u1', org: other, role: 'ADMIN' });
    const res = await hub.gql(`{ loanAccount(id: "${loanId}") { id } }`, {}, jwt);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
