/* libnbd, the NBD client library: the migration destination on another
 * host (CDQMigration's NBDDestination). */
#include <libnbd.h>

/* NBD_NULL_COMPLETION is a compound literal Swift cannot import: a command
 * whose completion is collected with nbd_aio_command_completed. */
static inline nbd_completion_callback cdq_nbd_no_completion(void) {
    nbd_completion_callback none = { .callback = 0, .user_data = 0, .free = 0 };
    return none;
}
