#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
// Swift 6 treats mutable C globals as unsafe; set them through these setters.
static inline void dnb_rl_set_completer(rl_completion_func_t *fn) { rl_attempted_completion_function = fn; }
static inline void dnb_rl_set_word_break(const char *chars) { rl_basic_word_break_characters = (char *)chars; }
static inline void dnb_rl_set_completion_append(int c) { rl_completion_append_character = c; }
static inline void dnb_rl_set_attempted_over(int v) { rl_attempted_completion_over = v; }
static inline void dnb_rl_set_catch_signals(int v) { rl_catch_signals = v; }
static inline void dnb_rl_set_name(const char *name) { rl_readline_name = name; }
