import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly callbacks: Counter<'rail' | 'outcome'>;
  readonly jobs: Counter<'queue' | 'outcome'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lipa_' });
    this.httpRequests = new Counter({
      name: 'lipa_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'lipa_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.callbacks = new Counter({
      name: 'lipa_callbacks_total',
      help: 'Rail callbacks by outcome',
      labelNames: ['rail', 'outcome'],
      registers: [this.registry],
    });
    this.jobs = new Counter({
      name: 'lipa_jobs_total',
      help: 'Jobs processed',
      labelNames: ['queue', 'outcome'],
      registers: [this.registry],
    });
  }
}
