package io.grantry.resource;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * Fetches a JSON object from the issuer without blocking and without trusting it: at most {@code
 * maxBytes} are read (a longer body is cut off and refused), and the whole exchange ends within the
 * timeout. What fails here is a {@link FetchException}, whose message names the URL and the reason,
 * never a credential.
 */
final class DocumentFetcher {
  private final Vertx vertx;
  private final HttpClient client;
  private final int maxBytes;
  private final long timeoutMillis;

  DocumentFetcher(Vertx vertx, ResourceServerOptions options) {
    this.vertx = vertx;
    this.maxBytes = options.maxDocumentBytes();
    this.timeoutMillis = options.fetchTimeout().toMillis();
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .setKeepAlive(true));
  }

  static final class FetchException extends RuntimeException {
    FetchException(String message) {
      super(message, null, false, false);
    }
  }

  Future<JsonObject> get(String url) {
    return exchange(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url), null, url);
  }

  /** POST of a form with HTTP Basic authentication (RFC 7662 §2.1's request). */
  Future<JsonObject> postForm(String url, String authorization, MultiMap form) {
    StringBuilder body = new StringBuilder();
    form.forEach(
        e -> {
          if (body.length() > 0) {
            body.append('&');
          }
          body.append(urlEncode(e.getKey())).append('=').append(urlEncode(e.getValue()));
        });
    RequestOptions req =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(url)
            .putHeader("Authorization", authorization)
            .putHeader("Content-Type", "application/x-www-form-urlencoded");
    return exchange(req, Buffer.buffer(body.toString()), url);
  }

  private Future<JsonObject> exchange(RequestOptions options, Buffer body, String url) {
    options.putHeader("Accept", "application/json");
    Promise<JsonObject> result = Promise.promise();
    // Started on an event loop, so that the listeners below are in place before the response can
    // arrive: from another thread (a caller of ResourceServer.create), a listener added to a future
    // that has completed meanwhile runs as a later task, after the body has gone by unread.
    vertx
        .getOrCreateContext()
        .runOnContext(
            v ->
                client
                    .request(options)
                    .compose(req -> body == null ? req.send() : req.send(body))
                    .onFailure(e -> result.tryFail(new FetchException(url + ": " + e.getMessage())))
                    .onSuccess(resp -> read(resp, url, result)));
    return result
        .future()
        .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof FetchException
                        ? e
                        : new FetchException(url + ": " + e.getMessage())));
  }

  private void read(HttpClientResponse resp, String url, Promise<JsonObject> result) {
    if (resp.statusCode() != 200) {
      resp.request().reset();
      result.tryFail(new FetchException(url + " answered " + resp.statusCode()));
      return;
    }
    String length = resp.getHeader("Content-Length");
    if (length != null && length.length() < 12 && Long.parseLong(length.strip()) > maxBytes) {
      resp.request().reset();
      result.tryFail(new FetchException(url + " is larger than " + maxBytes + " bytes"));
      return;
    }
    Buffer buffer = Buffer.buffer();
    try {
      readBody(resp, url, result, buffer);
    } catch (IllegalStateException e) {
      // The response ended before its handlers were set: fail now rather than at the timeout.
      result.tryFail(new FetchException(url + ": the answer could not be read"));
    }
  }

  private void readBody(
      HttpClientResponse resp, String url, Promise<JsonObject> result, Buffer buffer) {
    resp.handler(
        chunk -> {
          if (buffer.length() + chunk.length() > maxBytes) {
            resp.request().reset();
            result.tryFail(new FetchException(url + " is larger than " + maxBytes + " bytes"));
            return;
          }
          buffer.appendBuffer(chunk);
        });
    resp.exceptionHandler(e -> result.tryFail(new FetchException(url + ": " + e.getMessage())));
    resp.endHandler(
        v -> {
          try {
            result.tryComplete(new JsonObject(buffer));
          } catch (DecodeException | ClassCastException e) {
            result.tryFail(new FetchException(url + " is not a JSON object"));
          }
        });
  }

  Future<Void> close() {
    return client.close();
  }

  Vertx vertx() {
    return vertx;
  }

  private static String urlEncode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }
}
