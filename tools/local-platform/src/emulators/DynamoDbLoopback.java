// Runs DynamoDB Local (the official AWS emulator shipped in the npm package
// amplify-dynamodb-simulator) bound to 127.0.0.1 only. Its own launcher has no
// bind-address option and listens on every interface, so this file wires the
// emulator's request handler into a Jetty connector of our own.
// Started by dynamodb-local.ts with `java DynamoDbLoopback.java <port>`; prints
// "listening <port>" once it accepts connections. It exits when its standard
// input reaches end-of-file: the parent holds the other end of that pipe, so
// when the parent dies (even by SIGKILL) the emulator does not linger on its port.
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class DynamoDbLoopback {
    private static void watchParent() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // The parent never writes; any bytes are ignored.
                }
            } catch (java.io.IOException ignored) {
                // A broken pipe means the parent is gone, too.
            }
            System.exit(0);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        // (port, inMemory, dbPath, sharedDb, delayTransientStatuses)
        LocalDynamoDBRequestHandler requests = new LocalDynamoDBRequestHandler(0, true, null, true, false);
        LocalDynamoDBServerHandler handler = new LocalDynamoDBServerHandler(requests, null);
        DynamoDBProxyServer proxy = new DynamoDBProxyServer(0, handler);

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(proxy.setUpHandler(handler));
        server.setStopAtShutdown(true);
        server.start();
        System.out.println("listening " + connector.getLocalPort());
        System.out.flush();
        watchParent();
        server.join();
    }
}
