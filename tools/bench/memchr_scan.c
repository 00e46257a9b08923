// SPDX-License-Identifier: BSD-3-Clause
/* memchr_scan.c - the floor for any line-based parser: find every '\n' in
 * a file with memchr (the file is mapped; one pass, one core). Prints the
 * MB/s over the file's bytes. Used by tools/bench.sh only. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct stat st;
	unsigned long lines = 0;
	const char *p, *end;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st)) {
		fprintf(stderr, "usage: memchr_scan FILE\n");
		return 2;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	end = p + st.st_size;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (const char *q = p; (q = memchr(q, '\n', end - q)); q++)
		lines++;
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.1f MB/s %lu lines %.3f s\n", st.st_size / 1e6 / s, lines, s);
	return 0;
}
