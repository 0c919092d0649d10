import http from 'k6/http';

export default function () {
  http.post('https://agent.contoso.com/api/question', JSON.stringify({question: 'hi'}));
}
