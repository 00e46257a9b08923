/* SPDX-License-Identifier: BSD-3-Clause */
/* version.h - the one place the version lives. */
#ifndef MAILTAP_VERSION_H
#define MAILTAP_VERSION_H
#define MAILTAP_VERSION "0.1.0"
#endif
