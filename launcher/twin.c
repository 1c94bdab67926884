/* The `twin` command: the venv's Python running twin, with Ctrl-C held back from the first
 * instant, so that a Ctrl-C at any moment ends with one line and exit code 130.
 *
 * Python cannot hold a Ctrl-C during its own start-up (about 20 ms of CPU before twin's first
 * line runs): until the interpreter sets its SIGINT handler the signal kills it without a word,
 * then it ends in "Fatal Python error: init_import_site" while `site` runs the .pth hooks, then
 * in a KeyboardInterrupt traceback while the console script imports twin. So this launcher
 * blocks SIGINT and execs Python: a blocked signal stays pending across exec, and CPython sets
 * its handler without touching the signal mask. twin.interrupt.run() installs its own handler
 * and unblocks SIGINT as its first act; a Ctrl-C that came meanwhile fires then (the line, 130),
 * and processes twin starts later inherit an open mask. A SIGINT that was ignored when the
 * launcher started (a shell's background job) stays ignored: exec keeps an ignored signal
 * ignored, CPython and twin leave it so, and the pending one is discarded at the unblock.
 *
 * The Makefile builds it, statically where it can (no dynamic loader to run before the block:
 * its window is microseconds), into .venv/bin/twin in place of pip's console script, with
 * TWIN_PYTHON the venv's python. The arguments and the exit code pass through unchanged (exec:
 * the process is Python's from then on). `python -m twin` is unchanged (no launcher, no block).
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TWIN_PYTHON
#error "build with -DTWIN_PYTHON='\"/path/to/.venv/bin/python\"' (the Makefile does)"
#endif

/* What pip's console script does, from the command line: sys.argv is [-c, argv[0], args...]
 * before the del; -c puts the working folder first on sys.path, where a command wants none
 * (pip's script puts its own folder, .venv/bin). */
static const char CODE[] =
    "import sys\n"
    "if sys.path[:1] == ['']:\n"
    "    del sys.path[0]\n"
    "del sys.argv[0]\n"
    "from twin.__main__ import main\n"
    "sys.exit(main())\n";

int main(int argc, char **argv) {
    sigset_t held;
    sigemptyset(&held);
    sigaddset(&held, SIGINT);
    sigprocmask(SIG_BLOCK, &held, NULL);

    int given = argc > 1 ? argc - 1 : 0;
    char **args = calloc((size_t)given + 5, sizeof *args);
    if (args == NULL) {
        fputs("twin: out of memory starting Python\n", stderr);
        return 1;
    }
    args[0] = TWIN_PYTHON;
    args[1] = "-c";
    args[2] = (char *)CODE;
    args[3] = argc > 0 ? argv[0] : "twin";
    for (int i = 0; i < given; i++)
        args[4 + i] = argv[1 + i];
    execv(TWIN_PYTHON, args);
    fprintf(stderr, "twin: cannot start %s: %s; run `make install` again\n", TWIN_PYTHON,
            strerror(errno));
    return 127;
}
