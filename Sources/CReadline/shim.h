#include <stdio.h>
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>
// Swift 6 treats mutable C globals as unsafe; set them through these setters.
static inline void dnb_rl_set_completer(rl_completion_func_t *fn) { rl_attempted_completion_function = fn; }
static inline void dnb_rl_set_word_break(const char *chars) { rl_basic_word_break_characters = (char *)chars; }
static inline void dnb_rl_set_completion_append(int c) { rl_completion_append_character = c; }
static inline void dnb_rl_set_attempted_over(int v) { rl_attempted_completion_over = v; }
static inline void dnb_rl_set_catch_signals(int v) { rl_catch_signals = v; }
static inline void dnb_rl_set_name(const char *name) { rl_readline_name = name; }
// Called by readline when a read is interrupted by a signal it does not handle itself (SIGINT with catch_signals 0).
static inline void dnb_rl_set_signal_event_hook(rl_hook_func_t *fn) { rl_signal_event_hook = fn; }
// Runs after readline has installed its own signal handlers for a call, before the first key is read.
static inline void dnb_rl_set_pre_input_hook(rl_hook_func_t *fn) { rl_pre_input_hook = fn; }
// Readline reads every key through this function.
static inline void dnb_rl_set_getc(rl_getc_func_t *fn) { rl_getc_function = fn; }
// True during an incremental (Ctrl-R) or non-incremental history search.
static inline int dnb_rl_in_search(void) { return RL_ISSTATE(RL_STATE_ISEARCH | RL_STATE_NSEARCH) != 0; }
// Keep filenames from readline's fallback completion unquoted and sorted as usual.
static inline void dnb_rl_set_filename_completion_desired(int v) { rl_filename_completion_desired = v; }
// Readers for readline's state, for the completion callback.
static inline const char *dnb_rl_line_buffer(void) { return rl_line_buffer; }
static inline int dnb_rl_point(void) { return rl_point; }
// Multi-line history entries (a `for` block) survive a round trip through the file when each entry has a
// timestamp line (`#1700000000`); readline only writes those when the history comment character is set.
static inline void dnb_history_set_multiline(int v) {
    history_write_timestamps = v;
    history_multiline_entries = v;
    history_comment_char = v ? '#' : '\0';
}
static inline int dnb_history_length(void) { return history_length; }

// SIGINT through sigaction without SA_RESTART, so readline's select() sees EINTR and calls the signal event hook.
static inline int dnb_install_sigint(void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    // A parent may have started us with signals blocked (Foundation's Process on Linux does):
    // unblock the ones that stop a process, so Ctrl-C and kill work.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
