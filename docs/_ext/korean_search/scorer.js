/*
 * 한국어 검색의 결과 점수(conf.py의 html_search_scorer: Sphinx가 language_data.js에 넣는다).
 *
 * Sphinx의 기본 가중치는 그대로 두고, 본문 일치 결과(kind "text")의 점수만 KoreanSearch.textScore
 * (BM25와 제목 일치, search.js)로 바꾼다. Sphinx는 검색어 단어 가운데 하나라도 제목에 있으면 15,
 * 아니면 5를 주고 같은 점수는 제목 가나다순으로 늘어놓는다.
 */
var Scorer = {
  score: (result) => {
    const [docname, , , , score, , kind] = result;
    if (kind !== "text" || typeof KoreanSearch === "undefined") return score;
    return KoreanSearch.textScore(docname, KoreanSearch.lastTerms, score);
  },

  // Sphinx 기본값(searchtools.js)과 같다.
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {
    0: 15,
    1: 5,
    2: -5,
  },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
