/* The FastCGI responder: worker threads accepting on one listening socket. */
#ifndef S3MPU_SERVER_H
#define S3MPU_SERVER_H

#include "config.h"
#include "credentials_store.h"

/* Serves until SIGTERM or SIGINT, then lets the workers finish their requests.
 * Listens on cfg->listen ("unix:/path" or "HOST:PORT"), or else on the socket
 * handed over as fd 0 (spawn-fcgi, systemd socket activation). The workers sign
 * with the store's credentials; aws says where STS calls look (the temporary
 * credentials route). Returns the exit status. */
int server_run(const config *cfg, credentials_store *credentials, credentials_options aws);

#endif
