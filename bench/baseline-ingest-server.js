'use strict';
// Baseline for the ingest benchmark: plain node:http + one INSERT ... ON CONFLICT per request, nothing else
// (no verification, no queue, no framework). Started by bench/ingest.ts on 127.0.0.1.
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const port = Number(process.env.PORT);
let seq = 0;

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      let id;
      try {
        id = JSON.parse(body.toString('utf8')).TransID;
      } catch {
        res.writeHead(400).end();
        return;
      }
      try {
        await pool.query('insert into bench_baseline_event (id, provider_event_id, raw_body) values ($1, $2, $3) on conflict (provider_event_id) do nothing', [`b${process.pid}_${seq++}`, String(id), body]);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ResultCode":0,"ResultDesc":"Success"}');
      } catch {
        res.writeHead(500).end();
      }
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
