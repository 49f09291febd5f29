import nock from 'nock';

// Tests never touch the network: only loopback is allowed (our own servers and simulators).
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});
