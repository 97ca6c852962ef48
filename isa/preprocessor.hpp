// TN_FOR_EACH(m, a, b, ...) expands to m(a) m(b) ...: lets one table row list its fields once.
#pragma once

#define TN_PP_EXPAND(x) x
#define TN_FE_1(m, a) m(a)
#define TN_FE_2(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_1(m, __VA_ARGS__))
#define TN_FE_3(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_2(m, __VA_ARGS__))
#define TN_FE_4(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_3(m, __VA_ARGS__))
#define TN_FE_5(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_4(m, __VA_ARGS__))
#define TN_FE_6(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_5(m, __VA_ARGS__))
#define TN_FE_7(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_6(m, __VA_ARGS__))
#define TN_FE_8(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_7(m, __VA_ARGS__))
#define TN_FE_9(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_8(m, __VA_ARGS__))
#define TN_FE_10(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_9(m, __VA_ARGS__))
#define TN_FE_11(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_10(m, __VA_ARGS__))
#define TN_FE_12(m, a, ...) m(a) TN_PP_EXPAND(TN_FE_11(m, __VA_ARGS__))
#define TN_FE_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, NAME, ...) NAME
#define TN_FOR_EACH(m, ...)                                                                              \
  TN_PP_EXPAND(TN_FE_PICK(__VA_ARGS__, TN_FE_12, TN_FE_11, TN_FE_10, TN_FE_9, TN_FE_8, TN_FE_7, TN_FE_6, \
                          TN_FE_5, TN_FE_4, TN_FE_3, TN_FE_2, TN_FE_1)(m, __VA_ARGS__))
