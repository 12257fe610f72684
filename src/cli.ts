#!/usr/bin/env node
console.log('redis-queues');
