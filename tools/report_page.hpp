// The page `trnsim report` writes, compiled into the binary from tools/report_page/ by
// cmake/embed_report_page.cmake, so that an installed trnsim needs no source tree.
#pragma once

namespace tn::cli {

// report.html holds {{TITLE}}, {{STYLE}}, {{SCRIPT}} and {{DATA}} where the title, report.css, report.js and
// the page data go.
extern const char* const kReportPageHtml;
extern const char* const kReportPageCss;
extern const char* const kReportPageJs;

}  // namespace tn::cli
