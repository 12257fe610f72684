// The embedded queue client on its own, without VS Code: node examples/library.js
// (REDIS_URL defaults to redis://127.0.0.1:6379; `node dist/cli.js sandbox` starts a throwaway one).
const { StreamProducer, startStreamWorker, tailStream } = require('redis-queues/core');

async function main() {
  const connection = { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
  const stream = '{orders}'; // a hash tag: {orders} and its dead-letter stream {orders}:dlq share a Cluster slot

  // Produce: one message, then a batch, trimming to about 10,000 entries.
  const producer = await StreamProducer.open(connection, { stream });
  await producer.publish({ orderId: '1', total: '9.99' }, { trim: { strategy: 'MAXLEN', threshold: 10_000 } });
  await producer.publishBatch([{ orderId: '2', total: '5' }, { orderId: '3', total: 'oops' }]);

  // Consume in group "billing": ack on success, retry with backoff on failure,
  // dead-letter to {orders}:dlq after 3 deliveries, reclaim entries of dead consumers.
  const done = new Set();
  const worker = await startStreamWorker({
    connection,
    stream,
    group: 'billing',
    startId: '0',
    concurrency: 10,
    maxDeliveries: 3,
    backoff: { initialMs: 50 },
    async handler(message) {
      if (Number.isNaN(Number(message.fields.total))) throw new Error(`bad total in ${message.id}`);
      done.add(message.fields.orderId);
    },
  });
  worker.on('deadLettered', ({ id, deliveries, error }) => console.log(`dead-lettered ${id} after ${deliveries} deliveries: ${error}`));

  // Follow the dead-letter stream from the beginning until the bad order shows up there.
  const tail = tailStream({ connection, stream: `${stream}:dlq`, from: '0' });
  for await (const entry of tail) {
    console.log('in the DLQ:', entry.id, entry.fields['x-dlq-id'], entry.fields['x-dlq-error']);
    break; // breaking out closes the tail
  }
  await worker.stop(); // finishes in-flight work and flushes acks; safe to call twice
  await producer.close();
  console.log('processed orders:', [...done].sort().join(', '));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
