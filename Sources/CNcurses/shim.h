// Thin helpers over ncursesw for Swift: macros and globals do not import.
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *ig_stdscr(void) { return stdscr; }
static inline int ig_lines(void) { return LINES; }
static inline int ig_cols(void) { return COLS; }
static inline int ig_colors(void) { return COLORS; }
static inline int ig_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t ig_a_bold(void) { return A_BOLD; }
static inline attr_t ig_a_reverse(void) { return A_REVERSE; }
static inline attr_t ig_a_normal(void) { return A_NORMAL; }
static inline int ig_key_resize(void) { return KEY_RESIZE; }
static inline int ig_key_code_yes(void) { return KEY_CODE_YES; }

/// Puts one wide character at (y, x) of stdscr in colour pair `pair`
/// (any pair number: it travels through setcchar's opts pointer, so pairs
/// above 255 work). Returns ERR/OK.
static inline int ig_put(int y, int x, wchar_t ch, int pair, attr_t attrs) {
    cchar_t cc;
    wchar_t s[2] = { ch, 0 };
    int p = pair;
    if (setcchar(&cc, s, attrs, 0, &p) == ERR) return ERR;
    return mvwadd_wch(stdscr, y, x, &cc);
}

/// Reads one key with the window's timeout: returns ERR (nothing), OK
/// (a character in *ch) or KEY_CODE_YES (a function key in *ch).
static inline int ig_get(wint_t *ch) { return wget_wch(stdscr, ch); }

/// Opens a screen on the terminal named `term` (NULL: $TERM) over stdout/stdin.
static inline SCREEN *ig_newterm(const char *term) { return newterm(term, stdout, stdin); }

/// Signals (signals.c): handlers for SIGINT, SIGTERM and SIGHUP that only set a
/// `volatile sig_atomic_t`, installed and unblocked (0, or -1 on failure).
int ig_install_signal_handlers(void);
/// Puts back the default actions of those signals.
void ig_restore_signal_handlers(void);
/// The last of those signals caught, 0 if none.
int ig_caught_signal(void);
