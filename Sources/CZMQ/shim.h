/* The Jupyter kernel's two C libraries: ZeroMQ carries the messages, OpenSSL's libcrypto signs them. */
#include <zmq.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* HMAC-SHA256 of data under key (the Jupyter message signature). out must hold 32 bytes;
   returns 1 on success, 0 on failure. */
static inline int dnb_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length,
                                  unsigned char *out) {
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, (int)key_length, data, length, out, &n) != NULL && n == 32;
}

/* zmq_setsockopt for an int option: Swift cannot form the void pointer to a literal itself. */
static inline int dnb_zmq_set_int(void *socket, int option, int value) {
    return zmq_setsockopt(socket, option, &value, sizeof value);
}
