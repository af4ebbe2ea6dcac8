/* epoll, which Swift's Glibc module does not export: the synchronous
 * baseline of cdq-bench waits on its queues' eventfds with it, as today's
 * tools do. */
#include <sys/epoll.h>
