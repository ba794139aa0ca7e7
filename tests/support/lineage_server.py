"""A stand-in for Marquez's lineage API, for the recipe of docs/EXPORT.md: each POST on
/api/v1/lineage is kept, one JSON line {"contentType", "body"} in the file argv[1], and answered
201 Created, but the argv[2]-th (1-based; 0: none), answered 500. It listens on 127.0.0.1, a port
the system picks, and prints that port on a line of its own once it listens."""
import http.server
import json
import sys

kept = open(sys.argv[1], "a", encoding="utf-8")
refused = int(sys.argv[2])
posts = 0


class Lineage(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global posts
        if self.path != "/api/v1/lineage":
            self.send_response(404)
            self.end_headers()
            return
        posts += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
        if posts == refused:
            self.send_response(500)
            self.end_headers()
            return
        kept.write(json.dumps({"contentType": self.headers.get("Content-Type"), "body": body}) + "\n")
        kept.flush()
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Lineage)
print(server.server_address[1], flush=True)
server.serve_forever()
