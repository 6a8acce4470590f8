// Async-signal-safe handling of the signals that must end the viewer cleanly.
// The handler only stores the signal number in a volatile sig_atomic_t; the UI loop
// polls it (ig_caught_signal) between keys and restores the terminal itself.
#include "shim.h"

static volatile sig_atomic_t caught = 0;

static void on_signal(int sig) { caught = sig; }

static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

int ig_install_signal_handlers(void) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) {
        struct sigaction sa;
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;   // no SA_RESTART: a blocking read returns, and the loop sees the flag
        if (sigaction(handled[i], &sa, NULL) != 0) return -1;
        sigaddset(&set, handled[i]);
    }
    // A parent that started us with these blocked (the mask is inherited) would otherwise
    // leave Ctrl-C and SIGTERM pending forever.
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

void ig_restore_signal_handlers(void) {
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) signal(handled[i], SIG_DFL);
}

int ig_caught_signal(void) { return (int)caught; }
