// etcd's Watch service: one bidirectional stream carries many watches.
// Responses are pulled from the session only while the stream can take
// them (grpc-js reports backpressure through write() and 'drain'), so a
// client that stops reading stalls only its own watches, whose buffers the
// hub bounds.

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { grpcStatusOf, toEtcdError } from '../etcd-errors.js';
import { fromWatchRequest, toWireCanceled, toWireCreated, toWireCreateFailed, toWireProgress, toWireWatchResponse } from '../watch-translation.js';
import { encodeWatchEvents } from '../response-codec.js';
import { requestOf, type ServiceContext, type WireAnswer, type WireMessage } from './service-context.js';

export function watchService(context: ServiceContext): UntypedServiceImplementation {
  return { Watch: (call: ServerDuplexStream<WireMessage, WireMessage>) => watchStream(context, call) };
}

function watchStream(context: ServiceContext, call: ServerDuplexStream<WireMessage, WireMessage>): void {
  const session = context.backend.openWatchSession();
  let closed = false;
  let waitingForDrain = false;
  // While a create is answered, events it queued must wait for its created response.
  let holding = false;

  const close = (): void => {
    if (closed) return;
    closed = true;
    session.close();
  };

  const send = (message: WireAnswer): void => {
    if (closed || call.cancelled) return;
    if (!call.write(message as WireMessage)) waitingForDrain = true;
  };

  // Taking a response can make more ready (a lagging watcher's next replay step), which calls pump again:
  // that inner call returns at once and this loop takes the rest, so a long catch-up never deepens the stack.
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    try {
      while (!closed && !holding && !waitingForDrain && !call.cancelled) {
        const next = session.take();
        if (next === null) return;
        const response = next.response;
        send(response.kind === 'events' ? encodeWatchEvents(next.header, response.watchId, response.events) : toWireWatchResponse(next.header, response));
      }
    } catch (error) {
      // Pumps run inside the member's apply loop (a commit makes watchers ready): a failure here ends this
      // stream with a status, never the member.
      context.logger.error({ error: String(error) }, 'a watch stream failed; closing it');
      close();
      const { code, details } = grpcStatusOf(error);
      call.emit('error', { code, details, message: details, name: 'EtcdError' });
    } finally {
      pumping = false;
    }
  };

  session.onReady(pump);
  call.on('drain', () => {
    waitingForDrain = false;
    pump();
  });

  call.on('data', (raw: unknown) => {
    if (closed) return;
    let parsed;
    try {
      parsed = fromWatchRequest(requestOf({ request: raw }));
    } catch (error) {
      // A request etcd could not parse ends nothing but itself.
      send(toWireCreateFailed(context.backend.header(), toEtcdError(error).message));
      return;
    }
    switch (parsed.kind) {
      case 'create': {
        holding = true;
        try {
          const { watchId, header } = session.create(parsed.request, parsed.watchId);
          send(toWireCreated(header, watchId));
        } catch (error) {
          send(toWireCreateFailed(context.backend.header(), toEtcdError(error).message));
        } finally {
          holding = false;
        }
        pump();
        return;
      }
      case 'cancel':
        // etcd sends nothing for a watch id it does not know.
        if (session.cancel(parsed.watchId)) send(toWireCanceled(context.backend.header(), parsed.watchId));
        return;
      case 'progress': {
        const header = session.progress();
        if (header !== null) send(toWireProgress(header));
        return;
      }
    }
  });
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('error', close);
  call.on('cancelled', close);
  call.on('close', close);
}
