package io.grantry.server.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay to PostgreSQL that can be frozen: while frozen it accepts and reads but forwards
 * nothing, in either direction, like a network partition (the database neither answers nor
 * refuses). Thawed, it forwards what it held and carries on.
 */
final class FreezableProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int target;
  private final Object lock = new Object();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private boolean frozen; // guarded by lock

  FreezableProxy(int target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  void freeze() {
    synchronized (lock) {
      frozen = true;
    }
  }

  void thaw() {
    synchronized (lock) {
      frozen = false;
      lock.notifyAll();
    }
  }

  private void awaitThawed() throws InterruptedException {
    synchronized (lock) {
      while (frozen) {
        lock.wait();
      }
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        sockets.add(client);
        Thread t = new Thread(() -> connect(client), "proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void connect(Socket client) {
    try {
      awaitThawed();
      Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
      sockets.add(upstream);
      pump(client.getInputStream(), upstream.getOutputStream(), upstream);
      pump(upstream.getInputStream(), client.getOutputStream(), client);
    } catch (IOException | InterruptedException e) {
      closeQuietly(client);
    }
  }

  private void pump(InputStream in, OutputStream out, Socket other) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try {
                for (int n; (n = in.read(buf)) > 0; ) {
                  awaitThawed();
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the other side closed
              }
              closeQuietly(other);
            },
            "proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    thaw();
    listener.close();
    sockets.forEach(FreezableProxy::closeQuietly);
  }
}
