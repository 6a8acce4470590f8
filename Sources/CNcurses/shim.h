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

/// Mouse (the viewer's probe): button-1 presses reported at once (no click
/// resolution delay); ncurses picks the terminal's format (SGR 1006 when
/// terminfo's kmous is \E[<, else X10). Returns the mask granted (0: none).
static inline unsigned long ig_mouse_on(void) {
    mouseinterval(0);
    return (unsigned long)mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
}
static inline void ig_mouse_off(void) { mousemask(0, NULL); }
static inline int ig_key_mouse(void) { return KEY_MOUSE; }
/// The pending mouse event: 1 for a button-1 press or click at cell (*x, *y), else 0.
static inline int ig_mouse_click(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    *x = e.x; *y = e.y;
    return (e.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) ? 1 : 0;
}

/// Opens a screen on the terminal named `term` (NULL: $TERM) over stdout/stdin.
static inline SCREEN *ig_newterm(const char *term) { return newterm(term, stdout, stdin); }

/// Signals (signals.c): handlers for SIGINT, SIGTERM and SIGHUP that only set a
/// `volatile sig_atomic_t`, installed and unblocked (0, or -1 on failure).
int ig_install_signal_handlers(void);
/// Puts back the default actions of those signals.
void ig_restore_signal_handlers(void);
/// The last of those signals caught, 0 if none.
int ig_caught_signal(void);
