/* The reference C implementation (libmacaroons 0.3.0, Debian 12) behind a
 * command line, compiled by tests/interop/run, so tests/interop/interop.py can
 * check that tokens cross between it, pymacaroons and onezone-tokend.
 *
 *   libmacaroons_cli mint ROOT_HEX LOCATION IDENTIFIER [CAVEAT...]
 *   libmacaroons_cli attenuate TOKEN CAVEAT
 *   libmacaroons_cli inspect TOKEN      location, identifier, signature hex
 *   libmacaroons_cli verify ROOT_HEX TOKEN [PREDICATE...]
 *
 * TOKEN is what macaroon_serialize writes and macaroon_deserialize reads:
 * the V1 packets in base64url without padding (0.3.0 also reads '+' '/' and
 * padding). It knows nothing of Onezone's escaping: the caller unescapes.
 * verify satisfies `time < N` against the clock and each PREDICATE exactly;
 * it prints "ok" or "fail". Exit status: 0 success, 1 verification failed,
 * 2 the token does not parse, 64 usage error. */
#include <macaroons.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE 64

static const unsigned char* u(const char* s) { return (const unsigned char*)s; }

static int hex_decode(const char* hex, unsigned char* out, size_t out_sz,
                      size_t* len) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > out_sz) return -1;
  for (size_t i = 0; i < n / 2; ++i) {
    unsigned value;
    if (sscanf(hex + 2 * i, "%2x", &value) != 1) return -1;
    out[i] = (unsigned char)value;
  }
  *len = n / 2;
  return 0;
}

/* Prints M serialized; returns the exit status. */
static int print_serialized(const struct macaroon* M) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  size_t size = macaroon_serialize_size_hint(M);
  char* data = malloc(size);
  if (data == NULL || macaroon_serialize(M, data, size, &err) < 0) {
    fprintf(stderr, "macaroon_serialize failed: %d\n", err);
    free(data);
    return 1;
  }
  printf("%s\n", data);
  free(data);
  return 0;
}

static struct macaroon* deserialize(const char* token) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  struct macaroon* M = macaroon_deserialize(token, &err);
  if (M == NULL) printf("badToken %d\n", err);
  return M;
}

/* libmacaroons' general checkers return 0 when the caveat holds. */
static int check_time(void* unused, const unsigned char* pred, size_t pred_sz) {
  static const char prefix[] = "time < ";
  size_t prefix_sz = sizeof(prefix) - 1;
  (void)unused;
  if (pred_sz <= prefix_sz || pred_sz - prefix_sz > 18 ||
      memcmp(pred, prefix, prefix_sz) != 0) {
    return -1;
  }
  long long deadline = 0;
  for (size_t i = prefix_sz; i < pred_sz; ++i) {
    if (pred[i] < '0' || pred[i] > '9') return -1;
    deadline = deadline * 10 + (pred[i] - '0');
  }
  return (long long)time(NULL) < deadline ? 0 : -1;
}

static int mint(int argc, char** argv) {
  unsigned char root[1024];
  size_t root_sz = 0;
  enum macaroon_returncode err = MACAROON_SUCCESS;
  if (argc < 3 || hex_decode(argv[0], root, sizeof(root), &root_sz) != 0)
    return USAGE;
  struct macaroon* M =
      macaroon_create(u(argv[1]), strlen(argv[1]), root, root_sz, u(argv[2]),
                      strlen(argv[2]), &err);
  for (int i = 3; M != NULL && i < argc; ++i) {
    struct macaroon* N =
        macaroon_add_first_party_caveat(M, u(argv[i]), strlen(argv[i]), &err);
    macaroon_destroy(M);
    M = N;
  }
  if (M == NULL) {
    fprintf(stderr, "macaroon_create failed: %d\n", err);
    return 1;
  }
  int status = print_serialized(M);
  macaroon_destroy(M);
  return status;
}

static int attenuate(int argc, char** argv) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  if (argc != 2) return USAGE;
  struct macaroon* M = deserialize(argv[0]);
  if (M == NULL) return 2;
  struct macaroon* N =
      macaroon_add_first_party_caveat(M, u(argv[1]), strlen(argv[1]), &err);
  macaroon_destroy(M);
  if (N == NULL) return 1;
  int status = print_serialized(N);
  macaroon_destroy(N);
  return status;
}

static int inspect(int argc, char** argv) {
  const unsigned char* data;
  size_t size;
  if (argc != 1) return USAGE;
  struct macaroon* M = deserialize(argv[0]);
  if (M == NULL) return 2;
  macaroon_location(M, &data, &size);
  printf("location %.*s\n", (int)size, (const char*)data);
  macaroon_identifier(M, &data, &size);
  printf("identifier %.*s\n", (int)size, (const char*)data);
  macaroon_signature(M, &data, &size);
  printf("signature ");
  for (size_t i = 0; i < size; ++i) printf("%02x", data[i]);
  printf("\n");
  macaroon_destroy(M);
  return 0;
}

static int verify(int argc, char** argv) {
  unsigned char root[1024];
  size_t root_sz = 0;
  enum macaroon_returncode err = MACAROON_SUCCESS;
  if (argc < 2 || hex_decode(argv[0], root, sizeof(root), &root_sz) != 0)
    return USAGE;
  struct macaroon* M = deserialize(argv[1]);
  if (M == NULL) return 2;
  struct macaroon_verifier* V = macaroon_verifier_create();
  macaroon_verifier_satisfy_general(V, check_time, NULL, &err);
  for (int i = 2; i < argc; ++i) {
    macaroon_verifier_satisfy_exact(V, u(argv[i]), strlen(argv[i]), &err);
  }
  int result = macaroon_verify(V, M, root, root_sz, NULL, 0, &err);
  if (result == 0) {
    printf("ok\n");
  } else {
    printf("fail %d\n", err);
  }
  macaroon_verifier_destroy(V);
  macaroon_destroy(M);
  return result == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: libmacaroons_cli mint|attenuate|inspect|verify ...\n");
    return USAGE;
  }
  int status = USAGE;
  if (strcmp(argv[1], "mint") == 0) status = mint(argc - 2, argv + 2);
  if (strcmp(argv[1], "attenuate") == 0) status = attenuate(argc - 2, argv + 2);
  if (strcmp(argv[1], "inspect") == 0) status = inspect(argc - 2, argv + 2);
  if (strcmp(argv[1], "verify") == 0) status = verify(argc - 2, argv + 2);
  if (status == USAGE)
    fprintf(stderr, "libmacaroons_cli: bad usage of %s\n", argv[1]);
  return status;
}
