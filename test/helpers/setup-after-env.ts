import nock from 'nock';

// Tests never touch the network: only loopback is allowed (our own servers and simulators).
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});

// nock 14 hooks Node's HTTP once per process; a second test file in the same jest worker loads a fresh nock whose
// interceptors would never be consulted unless the previous one is restored.
afterAll(() => {
  nock.restore();
});
